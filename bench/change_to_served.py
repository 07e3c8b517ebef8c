#!/usr/bin/env python3
"""Change-to-served latency of a running `syndic serve`, through the ingest API.

For each of N writes it PUTs an article (alternately a new one and an edit of one
just written), tagged with the corpus' most popular tags (the widest fan-out), then
GETs the affected tag feed until the new title is there. It reports, in ms:
  put   - the PUT round trip (write + regeneration: syndic answers a write once
          the documents it changes are served)
  after - from the PUT returning to the new bytes being served (0 polls = at once)
  total - put + after
Standard library only.  Usage:
  change_to_served.py --url http://127.0.0.1:8080 --token T --n 200 --tag maroc --tag terrorisme
With --published-at every write carries that time (ids still make each new article
the newest of its second): a corpus made with gen_corpus.py --now at a midnight and
--published-at the second before it times a change to a full day and hour, whatever
the day of the month the benchmark runs on.
"""
import argparse
import calendar
import http.client
import json
import statistics
import sys
import time
import urllib.parse


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", default="http://127.0.0.1:8080")
    ap.add_argument("--token", required=True)
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--tag", action="append", default=[], help="tag names to put on every write")
    ap.add_argument("--json", action="store_true", help="print one JSON line")
    ap.add_argument("--published-from", metavar="ISO",
                    help="publication time of the first write (UTC, in the past), one second later for each "
                         "next write (default: 5 s before each write)")
    ap.add_argument("--published-at", help="publication time of every write (default: 5 s before it is sent), "
                    "e.g. the last second of a full day, to time a change to a day and hour of many articles")
    args = ap.parse_args()
    u = urllib.parse.urlparse(args.url)
    api = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    web = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    tags = args.tag or ["Maroc"]
    feed = "/tags/%s/feed.xml" % tags[0].lower().replace(" ", "-")
    put_ms, after_ms, total_ms = [], [], []
    run = int(time.time())
    base = None
    if args.published_from:
        base = calendar.timegm(time.strptime(args.published_from, "%Y-%m-%dT%H:%M:%SZ"))
    for i in range(args.n):
        # Feeds order by publication (to the second), then by id, smallest first:
        # ids that decrease with time keep every new article the newest of its
        # second, however many writes a second brings (and across runs).
        if i % 2 == 0:
            aid = "bench-%017d" % (10**17 - time.time_ns() // 1000)
        title = "Mesure %d-%d : latence de publication" % (run, i)
        at = time.time() - 5 if base is None else base + i
        now = args.published_at or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at))
        body = json.dumps({"url": "https://www.actu.example.ma/bench/%s.html" % aid, "title": title,
                           "summary": "Article de mesure.", "content_html": "<p>Mesure.</p>",
                           "section": "Maroc", "tags": tags, "authors": ["Bench"], "published_at": now})
        t0 = time.perf_counter()
        api.request("PUT", "/api/articles/" + aid, body=body,
                    headers={"Authorization": "Bearer " + args.token, "Content-Type": "application/json"})
        r = api.getresponse()
        r.read()
        if r.status not in (200, 201):
            sys.exit("PUT %s answered %d" % (aid, r.status))
        t1 = time.perf_counter()
        for _ in range(5000):
            web.request("GET", feed)
            resp = web.getresponse()
            text = resp.read().decode("utf-8", "replace")
            if title in text:
                break
        else:
            sys.exit("title never served in %s (write %d, %s)" % (feed, i, aid))
        t2 = time.perf_counter()
        put_ms.append((t1 - t0) * 1000)
        after_ms.append((t2 - t1) * 1000)
        total_ms.append((t2 - t0) * 1000)
    out = {name: {"median": round(statistics.median(v), 2), "p99": round(pct(v, 99), 2), "max": round(max(v), 2)}
           for name, v in (("put", put_ms), ("after", after_ms), ("total", total_ms))}
    out["n"] = args.n
    out["feed"] = feed
    if args.json:
        print(json.dumps(out))
    else:
        for k in ("put", "after", "total"):
            print("%-6s median %7.2f ms   p99 %7.2f ms   max %7.2f ms" % (k, out[k]["median"], out[k]["p99"], out[k]["max"]))


if __name__ == "__main__":
    main()
