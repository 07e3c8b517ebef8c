#!/usr/bin/env python3
"""Change to served at one size, alone (issue 12, item 6): the suite's
change benchmark without the rest of the suite, for sizes where the rest
would take too long or too much disk (a million articles).

  bench/change_at.py --data CORPUS.jsonl [--runs 2] [--updates 500]
  SYNDIC_ARCHIVES__ENABLED=false bench/change_at.py --data c1m.jsonl

Imports the corpus into a fresh SQLite store, starts `serve` (a full pass),
then, `--runs` times, PUTs `--updates` articles on the corpus' three most
used tags and times each from the PUT to the new bytes served
(bench/change_to_served.py). The environment reaches `syndic` as it is
(`SYNDIC_ARCHIVES__ENABLED=false`: archives off, as at a million articles,
where they would need some 85 GB). Medians and 99th percentiles on stdout;
raw figures in bench/results/<date>-change-<n>-<commit>.json. Everything on
127.0.0.1; nothing is written in the repository but the results.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as suite  # noqa: E402  (the suite's helpers)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="a corpus from bench/gen_corpus.py")
    ap.add_argument("--runs", type=int, default=2)
    ap.add_argument("--updates", type=int, default=500)
    args = ap.parse_args()
    n = sum(1 for _ in open(args.data, "rb"))
    dirname = os.path.join(suite.WORK, "change-%d" % n)
    shutil.rmtree(dirname, ignore_errors=True)
    port = suite.free_port()
    cfg = suite.config(dirname, port)
    suite.log("import %d articles ..." % n)
    suite.timed([suite.BIN, "--config", cfg, "import", args.data])
    result = {"articles": n, "date": datetime.date.today().isoformat(), "machine": suite.machine(),
              "archives": os.environ.get("SYNDIC_ARCHIVES__ENABLED", "true"), "runs": []}
    proc, startup = suite.start_serve(cfg, port)
    result["startup_s"] = startup
    suite.log("serving after %.1f s" % startup)
    try:
        tags = suite.top_tags(args.data)
        for r in range(args.runs):
            got = suite.change_to_served(port, args.updates, tags)
            suite.log("  run %d: %s" % (r + 1, json.dumps(got["total"])))
            result["runs"].append(got)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=300)
    shutil.rmtree(dirname, ignore_errors=True)
    for key in ("median", "p99", "max"):
        result["total_%s_ms" % key] = statistics.median(r["total"][key] for r in result["runs"])
    print("change to served at %d articles (archives %s), %d × %d writes: median %.2f ms, p99 %.2f ms, max %.1f ms"
          % (n, result["archives"], args.runs, args.updates, result["total_median_ms"], result["total_p99_ms"],
             result["total_max_ms"]))
    with open(suite.results_stem(result["date"], "change-%d" % n) + ".json", "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
