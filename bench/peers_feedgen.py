#!/usr/bin/env python3
"""What a Python publisher writes with feedgen (PyPI `feedgen`): the feeds syndic
builds, from the same JSON Lines corpus, the way feedgen's documentation does it.

  peers_feedgen.py corpus.jsonl OUT_DIR [--items 50] [--now 2026-11-29T12:00:00Z]

One global feed and one per section, tag and author, each as RSS 2.0 and Atom
1.0 (feedgen has no JSON Feed), the `items` newest visible articles (published,
not embargoed), full HTML content, summary, authors, categories and the lead
image as an enclosure. No sitemaps. Used by bench/peers.py.
"""
import argparse
import datetime
import json
import os
import re
import unicodedata

from feedgen.feed import FeedGenerator


def slug(name):
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "x"


def visible(path, now):
    rows = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            when = datetime.datetime.fromisoformat(rec["published_at"].replace("Z", "+00:00"))
            if rec.get("status", "published") == "published" and when <= now:
                rows.append((when, rec))
    rows.sort(key=lambda r: r[0], reverse=True)
    return rows


def groups(rows, items):
    feeds = {("", "Actu.ma"): []}
    for when, rec in rows:
        keys = [("", "Actu.ma"), ("sections/" + slug(rec["section"]), rec["section"])]
        keys += [("tags/" + slug(t), t) for t in rec["tags"]]
        keys += [("authors/" + slug(a), a) for a in rec["authors"]]
        for key in keys:
            kept = feeds.setdefault(key, [])
            if len(kept) < items:
                kept.append((when, rec))
    return feeds


def write_feed(out, folder, title, entries):
    fg = FeedGenerator()
    link = "https://www.actu.example.ma/" + folder
    fg.id(link)
    fg.title(title)
    fg.link(href=link, rel="alternate")
    fg.description("L’actualité du Maroc et du monde")
    fg.language("fr")
    for when, rec in reversed(entries):  # feedgen prepends: oldest first
        fe = fg.add_entry()
        fe.id(rec["id"])
        fe.guid(rec["id"], permalink=False)
        fe.title(rec["title"])
        fe.link(href=rec["url"])
        fe.published(when)
        fe.updated(rec.get("updated_at", rec["published_at"]))
        for name in rec["authors"]:
            fe.author(name=name)
        for tag in [rec["section"]] + rec["tags"]:
            fe.category(term=tag)
        fe.description(rec["summary"])
        fe.content(rec["content_html"], type="CDATA")
        if "image" in rec:
            fe.enclosure(rec["image"]["url"], "0", rec["image"]["type"])
    target = os.path.join(out, folder)
    os.makedirs(target, exist_ok=True)
    fg.rss_file(os.path.join(target, "feed.xml"))
    fg.atom_file(os.path.join(target, "atom.xml"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--items", type=int, default=50)
    ap.add_argument("--now", default=None, help="RFC 3339; default: now")
    a = ap.parse_args()
    now = datetime.datetime.now(datetime.timezone.utc)
    if a.now:
        now = datetime.datetime.fromisoformat(a.now.replace("Z", "+00:00"))
    feeds = groups(visible(a.corpus, now), a.items)
    for (folder, title), entries in feeds.items():
        write_feed(a.out, folder, title, entries)
    print("feedgen wrote %d feeds × 2 formats" % len(feeds))


if __name__ == "__main__":
    main()
