#!/usr/bin/env python3
"""Imports into both stores and restart times (issue 12, items 3 and 4).

  bench/restart.py --data CORPUS.jsonl [--runs 3] [--pg postgres://postgres@127.0.0.1:5432/DB]
                   [--before OTHER_SYNDIC_BINARY] [--skip-import]

Import: `syndic import` of the corpus into a fresh SQLite store and into a
PostgreSQL database made anew beside the one --pg names (NAME_bench; the named
one is left alone), `--runs` times each, alternating with the `--before`
binary when given (same machine, same run).
Restart: `syndic serve` on the SQLite store, timed from process start to the
first 200 for /feed.xml, alternating a start whose previous stop left a
manifest (`warm`) with one whose manifest was removed (`full`). Medians and
ranges on stdout, raw figures as JSON in bench/results/<date>-restart-<n>-<commit>.json.
The corpus comes from bench/gen_corpus.py; nothing is written in the repository
but the results.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as suite  # noqa: E402  (the suite's helpers: config, timed, get, free_port)


def spread(xs):
    return "median %.2f (%.2f–%.2f, %d runs)" % (statistics.median(xs), min(xs), max(xs), len(xs))


def imports(binaries, data, runs, dirname, pg):
    out = {}
    for label, binary in binaries:
        for store in ["sqlite"] + (["postgres"] if pg else []):
            out.setdefault("%s %s" % (label, store), [])
    for r in range(runs):
        for label, binary in binaries:
            for store in ["sqlite"] + (["postgres"] if pg else []):
                cfg = suite.config(dirname, suite.free_port())
                for f in os.listdir(dirname):
                    if f.startswith("store.db"):
                        os.remove(os.path.join(dirname, f))
                env = {}
                if store == "postgres":
                    # A database of its own, made anew (the one --pg names is left alone).
                    env["SYNDIC_STORE__URL"] = suite.fresh_pg_database(pg)
                os.sync()  # the previous run's dirty pages written back now
                wall, cpu, rss, err = suite.timed([binary, "--config", cfg, "import", data], env=env)
                summary = [l for l in err.splitlines() if l.startswith("imported ")]
                suite.log("  %s %s run %d: %.2f s (%s)" % (label, store, r + 1, wall, summary[-1] if summary else "?"))
                out["%s %s" % (label, store)].append(wall)
    return out


def start(binary, cfg, port):
    t0 = time.perf_counter()
    proc = subprocess.Popen([binary, "--config", cfg, "serve"], stdout=subprocess.DEVNULL,
                            stderr=open(cfg + ".serve.log", "a"))
    while time.perf_counter() - t0 < 900:
        if suite.get("http://127.0.0.1:%d/feed.xml" % port, timeout=2)[0] == 200:
            return proc, time.perf_counter() - t0
        if proc.poll() is not None:
            sys.exit("syndic serve exited; see %s.serve.log" % cfg)
        time.sleep(0.005)
    sys.exit("syndic serve did not start")


def restarts(binary, data, runs, dirname):
    cfg = suite.config(dirname, suite.free_port())
    port = int(re.search(r"listen = \"127.0.0.1:(\d+)\"", open(cfg).read()).group(1))
    for f in os.listdir(dirname):
        if f.startswith("store.db"):
            os.remove(os.path.join(dirname, f))
    shutil.rmtree(os.path.join(dirname, "feeds"), ignore_errors=True)
    suite.timed([binary, "--config", cfg, "import", data])
    manifest = os.path.join(dirname, "feeds", ".syndic.manifest")
    times = {"full": [], "warm": [], "full following": [], "warm following": []}
    proc, _ = start(binary, cfg, port)  # the first mirror
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=120)
    for r in range(runs):
        for kind in ["warm", "full"]:
            if kind == "full" and os.path.exists(manifest):
                os.remove(manifest)
            if kind == "warm" and not os.path.exists(manifest):
                sys.exit("no manifest after a clean stop")
            proc, elapsed = start(binary, cfg, port)
            following = suite.wait_following(port)
            used = suite.metric(port, "syndic_started_from_manifest")
            if used != (1 if kind == "warm" else 0):
                sys.exit("%s start: syndic_started_from_manifest = %d" % (kind, used))
            rss = suite.rss_mb(proc.pid)
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=120)
            suite.log("  %s start run %d: %.2f s to the first /feed.xml, following the store at %.2f s, %.0f MB"
                      % (kind, r + 1, elapsed, following, rss))
            times[kind].append(elapsed)
            times[kind + " following"].append(following)
    return times


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--pg", help="a PostgreSQL server's database URL: each run imports into a fresh database beside it (NAME_bench)")
    ap.add_argument("--before", help="another syndic binary to import with in the same run")
    ap.add_argument("--skip-import", action="store_true")
    ap.add_argument("--skip-restart", action="store_true")
    args = ap.parse_args()
    n = sum(1 for _ in open(args.data, "rb"))
    dirname = os.path.join(suite.WORK, "restart-%d" % n)
    os.makedirs(dirname, exist_ok=True)
    result = {"articles": n, "date": datetime.date.today().isoformat(), "machine": suite.machine()}
    if not args.skip_import:
        binaries = [("after", suite.BIN)] + ([("before", args.before)] if args.before else [])
        result["import_s"] = imports(binaries, args.data, args.runs, dirname, args.pg)
        for k, xs in result["import_s"].items():
            print("import %s: %s s; %.0f articles/s (median)" % (k, spread(xs), n / statistics.median(xs)))
    if not args.skip_restart:
        result["restart_s"] = restarts(suite.BIN, args.data, args.runs, dirname)
        for k, xs in result["restart_s"].items():
            print("start (%s): %s s%s" % (k, spread(xs), "" if "following" in k else " to the first /feed.xml"))
    shutil.rmtree(dirname, ignore_errors=True)
    # A run of one part does not overwrite the figures of a whole run.
    part = "-imports" if args.skip_restart else "-restarts" if args.skip_import else ""
    with open(suite.results_stem(result["date"], "restart-%d%s" % (n, part)) + ".json", "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
