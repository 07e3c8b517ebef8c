-- Bodies kept in the row, uncompressed, up to a page: with the default target
-- (2 KB) a news article's body (2–4 KB of HTML) was compressed and moved to
-- the TOAST table, a second heap and index written per row. An import of
-- 100,000 articles spent 3.1–3.2 s that way, 2.5 s with this target (bench
-- measure, README "Imports"); the price is a wider table (390 MB instead of
-- 62 MB + 257 MB of TOAST at 100,000), so the metadata scan at start-up reads
-- more pages (56 → 125 ms at 100,000, cached). Longer rows are still
-- compressed (lz4, 0006) and moved out. Rows stored before keep their form
-- until they are written again (both are read alike).
ALTER TABLE articles SET (toast_tuple_target = 8160);
