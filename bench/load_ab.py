#!/usr/bin/env python3
"""The load mix (bench/load_mix.py) on two syndic binaries, alternating, on one store.

  bench/load_ab.py --before /tmp/syndic-main --after target/release/syndic --size 20k --rounds 3

The corpus is imported once (with --before) into a SQLite store; each round copies
that store afresh for each binary in turn (before, after), starts `serve`, runs the
load mix (`wrk -t2 -c256` over 50 feed URLs, identity/gzip/br in turn, 5 writes/s)
and stops it. Prints, per binary, each round and the medians of p50/p90/p99, RSS
(start/peak/end/5 s later), threads and the load average, as JSON. Loopback only.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys

import load_mix
import run


def serve_round(binary, base, dirname, seconds):
    shutil.rmtree(dirname, ignore_errors=True)
    shutil.copytree(base, dirname)
    port = run.free_port()
    cfg = run.config(dirname, port)
    run.BIN = binary
    proc, startup = run.start_serve(cfg, port)
    try:
        load_before = os.getloadavg()[0]
        m = load_mix.run(proc.pid, port, run.TOKEN, os.path.join(dirname, "feeds"), dirname, seconds)
        m["load_avg"] = [load_before, os.getloadavg()[0]]
        m["startup_s"] = startup
        return m
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def summary(rounds):
    med = lambda f: statistics.median(f(r) for r in rounds)
    return {"p50": med(lambda r: r["latency_ms"]["p50"]), "p90": med(lambda r: r["latency_ms"]["p90"]),
            "p99": med(lambda r: r["latency_ms"]["p99"]), "rps": med(lambda r: r["rps"]),
            "rss": {k: med(lambda r: r["rss_mb"][k]) for k in ("start", "peak", "end", "final")},
            "threads_peak": med(lambda r: r["threads"]["peak"]),
            "load": [min(r["load_avg"][0] for r in rounds), max(r["load_avg"][1] for r in rounds)]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--size", default="20k")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seconds", type=int, default=60)
    args = ap.parse_args()
    n = run.size_articles(args.size)
    now = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
    data = run.corpus(n, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    base = os.path.join(run.WORK, "ab-%s-base" % args.size)
    shutil.rmtree(base, ignore_errors=True)
    run.config(base, run.free_port())
    subprocess.run([args.before, "--config", os.path.join(base, "config.toml"), "import", data], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results = {"before": [], "after": []}
    for r in range(args.rounds):
        for name in ("before", "after"):
            m = serve_round(getattr(args, name), base, os.path.join(run.WORK, "ab-%s-%s" % (args.size, name)),
                            args.seconds)
            run.log("round %d %s: p50 %.1f p90 %.1f p99 %.1f ms, %.0f req/s, RSS %s, threads %s, load %s, writes %s" % (
                r + 1, name, m["latency_ms"]["p50"], m["latency_ms"]["p90"], m["latency_ms"]["p99"], m["rps"],
                m["rss_mb"], m["threads"], m["load_avg"], m["writes"]))
            results[name].append(m)
    out = {"date": now.strftime("%Y-%m-%d"), "machine": run.machine(), "articles": n,
           "rounds": results, "median": {k: summary(v) for k, v in results.items()}}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    sys.exit(main())
