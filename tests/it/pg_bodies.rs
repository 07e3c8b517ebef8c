//! PostgreSQL keeps an article's body in its row (migration 0008): a body of
//! a few KB, as news articles have, is written neither compressed nor into the
//! TOAST table, by the import's COPY path as by a single write; a longer one
//! still goes there, and both read back whole.

use crate::store_suite::{article, postgres};
use syndic::model::Article;

/// Words drawn from a fixed generator: text lz4 cannot shrink below 2 KB,
/// which PostgreSQL's default target would therefore move out of the row.
fn body(seed: u64, bytes: usize) -> String {
    let mut state = seed.wrapping_mul(6_364_136_223_846_793_005) | 1;
    let mut text = String::from("<p>");
    while text.len() < bytes {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        text.push_str(&format!("{:x} ", state >> 20));
    }
    text.push_str("</p>");
    text
}

fn with_body(id: &str, seed: u64, bytes: usize) -> Article {
    let mut a = article(id, "Titre");
    a.content_html = Some(body(seed, bytes));
    a
}

#[test]
fn bodies_of_a_few_kb_stay_in_the_row_and_longer_ones_are_toasted() {
    let b = postgres();
    let mut batch: Vec<Article> = (0..40)
        .map(|i| with_body(&format!("a{i}"), i, 4_000))
        .collect();
    batch.push(with_body("long", 99, 30_000));
    b.store.upsert(&batch).unwrap(); // 41 rows: the COPY path
    b.store.upsert(&[with_body("single", 7, 4_000)]).unwrap(); // row by row

    let mut client = postgres::Client::connect(&b.url, postgres::NoTls).unwrap();
    let toast: String = client
        .query_one(
            "SELECT reltoastrelid::regclass::text FROM pg_class WHERE oid = 'articles'::regclass",
            &[],
        )
        .unwrap()
        .get(0);
    let toasted: i64 = client
        .query_one(
            &format!("SELECT count(DISTINCT chunk_id) FROM {toast}"),
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(toasted, 1, "only the 30 KB body is moved out of its row");
    let compressed: i64 = client
        .query_one(
            "SELECT count(*) FROM articles WHERE pg_column_compression(content_html) IS NOT NULL",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(compressed, 1, "only the 30 KB body is compressed");

    let expected = [
        ("a0", body(0, 4_000)),
        ("a39", body(39, 4_000)),
        ("long", body(99, 30_000)),
        ("single", body(7, 4_000)),
    ];
    let ids: Vec<&str> = expected.iter().map(|(id, _)| *id).collect();
    let read = b.store.articles(&ids).unwrap();
    assert_eq!(read.len(), expected.len());
    for (id, want) in &expected {
        let stored = read.iter().find(|a| a.id == *id).expect(id);
        assert_eq!(stored.content_html.as_deref(), Some(want.as_str()), "{id}");
    }
}
