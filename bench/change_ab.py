#!/usr/bin/env python3
"""Change-to-served latency of two syndic binaries over one corpus, alternating.

Imports the corpus once (with the first binary), gives each binary its own copy of
the store and its own output folder, starts both `serve`s (one after the other),
then runs change_to_served.py against each in turn, --rounds times, and prints
each round's figures and, per binary, the median of the rounds' medians and p99s.
Standard library only; writes under bench/.work/.

  change_ab.py --corpus bench/.work/corpus-100000.jsonl --bin before=/path/a --bin after=target/release/syndic \\
               --rounds 3 --updates 100 --published-at 2026-11-30T23:59:59Z
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time

import run  # the suite's config, serve start-up and top tags

HERE = os.path.dirname(os.path.abspath(__file__))
PASS = "syndic_regeneration_duration_seconds"


def passes(port):
    """The regeneration histogram of the server on `port`: (sum, count, {le: count})."""
    import urllib.request
    text = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=30).read().decode()
    total, count, buckets = 0.0, 0, {}
    for line in text.splitlines():
        if line.startswith(PASS + "_sum"):
            total = float(line.split()[-1])
        elif line.startswith(PASS + "_count"):
            count = int(float(line.split()[-1]))
        elif line.startswith(PASS + "_bucket"):
            le = line.split('le="')[1].split('"')[0]
            buckets[float(le)] = int(float(line.split()[-1]))
    return total, count, buckets


def cpu_seconds(pid):
    """User + system CPU time of process `pid` (all its threads), seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pass_figures(before, after):
    """Mean and bucket-bound median / p99 (ms) of the passes between two readings."""
    n = after[1] - before[1]
    if n <= 0:
        return None
    mean = (after[0] - before[0]) / n * 1000
    bound = lambda q: next(le for le in sorted(after[2]) if after[2][le] - before[2].get(le, 0) >= q * n) * 1000
    return {"passes": n, "mean": round(mean, 2), "p50_le": bound(0.5), "p99_le": bound(0.99)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--bin", action="append", required=True, help="name=path, twice or more")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--updates", type=int, default=100)
    ap.add_argument("--published-at")
    ap.add_argument("--pause", action="store_true", help="wait for Enter before the rounds (to attach perf)")
    args = ap.parse_args()
    bins = [b.split("=", 1) for b in args.bin]
    stem = os.path.splitext(os.path.basename(args.corpus))[0]
    base = os.path.join(run.WORK, "ab-" + stem)
    os.makedirs(base, exist_ok=True)
    master = os.path.join(base, "master")
    if not os.path.exists(os.path.join(master, "store.db")):
        run.log("import ...")
        cfg = run.config(master, run.free_port())
        subprocess.run([bins[0][1], "--config", cfg, "import", args.corpus], check=True,
                       stdout=subprocess.DEVNULL)
    servers = []
    try:
        for name, path in bins:
            d = os.path.join(base, name)
            shutil.rmtree(d, ignore_errors=True)
            port = run.free_port()
            cfg = run.config(d, port)
            for f in os.listdir(master):
                if f.startswith("store.db"):
                    shutil.copy(os.path.join(master, f), d)
            run.BIN = path
            run.log("serve %s ..." % name)
            proc, startup = run.start_serve(cfg, port)
            run.log("  %s: pid %d, up in %.1f s" % (name, proc.pid, startup))
            servers.append((name, port, proc))
        tags = run.top_tags(args.corpus)
        if args.pause:
            input("pids: %s; Enter to start " % " ".join("%s=%d" % (n, p.pid) for n, _, p in servers))
        results = {name: [] for name, _, _ in servers}
        for r in range(args.rounds):
            for name, port, proc in servers:
                cmd = [sys.executable, os.path.join(HERE, "change_to_served.py"), "--url",
                       "http://127.0.0.1:%d" % port, "--token", run.TOKEN, "--n", str(args.updates), "--json"]
                if args.published_at:
                    cmd += ["--published-at", args.published_at]
                for t in tags:
                    cmd += ["--tag", t]
                start, cpu = passes(port), cpu_seconds(proc.pid)
                out = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)
                out["passes"] = pass_figures(start, passes(port))
                # The server's CPU per write (its polls included): what load on the
                # shared machine does not inflate as much as wall-clock latency.
                out["cpu_ms_per_write"] = round((cpu_seconds(proc.pid) - cpu) * 1000 / args.updates, 2)
                load = os.getloadavg()[0]
                results[name].append(out)
                run.log("round %d %-8s total median %6.2f ms p99 %6.2f ms (put %.2f / %.2f)  load %.2f  "
                        "server CPU %.2f ms/write  regeneration passes %s" % (
                            r + 1, name, out["total"]["median"], out["total"]["p99"], out["put"]["median"],
                            out["put"]["p99"], load, out["cpu_ms_per_write"], out["passes"]))
        for name, rs in results.items():
            print("%-8s rounds %d x %d writes: total median of medians %.2f ms, median of p99s %.2f ms" % (
                name, len(rs), args.updates, statistics.median(x["total"]["median"] for x in rs),
                statistics.median(x["total"]["p99"] for x in rs)))
            print("%-8s server CPU per write, median of rounds: %.2f ms" % (
                name, statistics.median(x["cpu_ms_per_write"] for x in rs)))
            means = [x["passes"]["mean"] for x in rs if x["passes"]]
            if means:
                print("%-8s regeneration pass mean, median of rounds: %.2f ms" % (name, statistics.median(means)))
    finally:
        for _, _, proc in servers:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)


if __name__ == "__main__":
    main()
