#!/usr/bin/env python3
"""Feed archives (issue 14): what they cost at a given size.

  bench/archives.py --size 100k --runs 3
  bench/archives.py --size 100k --runs 3 --bin before=/path/to/old/syndic --bin after=target/release/syndic

Imports the corpus once, then builds it alternately with and without archives
(`SYNDIC_ARCHIVES__ENABLED`), and with each binary given (default: this tree's
release build), each run into a fresh folder (see run.py's bench_build), and
reports medians; counts the archive documents and their bytes in one build of
each binary; then, `--runs` times in turn, starts `serve` with and without
archives (each binary and setting on an output folder of its own, so that from
the second run on `serve` resumes from the mirror it left) and times PUT round
trips (write, regeneration, served) of new articles on the most used tags.
The load average is recorded before and after. Everything on 127.0.0.1.
Results in bench/results/<date>-archives-<size>-<commit>.json.

What a change costs depends on the size of the feeds' newest archive pages,
which grow through the day: so that it does not depend on the hour of the run,
the corpus ends at 23:00 UTC yesterday and the new articles are published from
23:30 yesterday on (one second apart, each session after the last), the newest
of every feed they are in:
the article each one pushes out of a current document lands on the page of
yesterday's last hours, as late on any day.
"""
import argparse
import datetime
import json
import os
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def archive_docs(folder):
    count, size = 0, 0
    for root, _dirs, files in os.walk(folder):
        rel = os.path.relpath(root, folder)
        if rel.startswith("archive") or "/archive/" in rel + "/":
            for f in files:
                count += 1
                size += os.path.getsize(os.path.join(root, f))
    return count, size


def build_once(cfg, dirname, label, r, archives):
    folder = os.path.join(dirname, "build-%s-%d" % (label.replace(" ", "-"), r))
    env = {"SYNDIC_OUTPUT__DIR": folder, "SYNDIC_ARCHIVES__ENABLED": "true" if archives else "false"}
    wall, cpu, rss, err = run.timed([run.BIN, "--config", cfg, "build"], env=env)
    out = [l for l in err.splitlines() if l.startswith("built ")][-1]
    run.log("  %s run %d: %.2f s wall, %.2f s CPU, %.0f MB; %s" % (label, r + 1, wall, cpu, rss, out))
    return folder, (wall, cpu, rss, out)


def change_cost(cfg, updates, tags, archives, folder, published_from):
    port = int(open(cfg).read().split('listen = "127.0.0.1:')[1].split('"')[0])
    os.environ["SYNDIC_ARCHIVES__ENABLED"] = "true" if archives else "false"
    os.environ["SYNDIC_OUTPUT__DIR"] = folder
    try:
        proc, startup = run.start_serve(cfg, port)
    finally:
        del os.environ["SYNDIC_ARCHIVES__ENABLED"]
        del os.environ["SYNDIC_OUTPUT__DIR"]
    try:
        result = run.change_to_served(port, updates, tags, published_from)
        result["startup_s"] = startup
        return result
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def loadavg():
    return os.getloadavg()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="100k")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--updates", type=int, default=200)
    ap.add_argument("--bin", action="append", default=[], metavar="LABEL=PATH",
                    help="a binary to measure (repeat to compare; default: this tree's release build)")
    args = ap.parse_args()
    n = run.size_articles(args.size)
    today = datetime.datetime.now(datetime.timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    now = today - datetime.timedelta(hours=1)
    data = run.corpus(n, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    # Each session of PUTs publishes after the previous one's, so that its articles are the newest.
    published_from = lambda k: (now + datetime.timedelta(minutes=30, seconds=k * args.updates)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    if args.bin:
        bins = [tuple(b.split("=", 1)) for b in args.bin]
    else:
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=run.ROOT, check=True)
        bins = [("this", run.BIN)]
    dirname = os.path.join(run.WORK, "archives-%s" % args.size)
    shutil.rmtree(dirname, ignore_errors=True)
    run.BIN = bins[0][1]
    _imp, cfg = run.bench_import(n, data, 1, dirname)
    configs = [("%s %s" % (b, w), path, on) for b, path in bins for w, on in (("without", False), ("with", True))]
    result = {"articles": n, "date": today.strftime("%Y-%m-%d"), "corpus_now": now.isoformat(),
              "machine": run.machine(), "runs": args.runs, "binaries": dict(bins), "load_before": loadavg()}
    rows = {label: [] for label, _, _ in configs}
    counted = {}
    for r in range(args.runs):
        for label, path, on in configs:
            run.BIN = path
            folder, row = build_once(cfg, dirname, label, r, on)
            rows[label].append(row + (loadavg()[0],))
            if on and label not in counted:
                counted[label] = archive_docs(folder)
            shutil.rmtree(folder, ignore_errors=True)
    med = lambda label, i: run.median([x[i] for x in rows[label]])
    result["build"] = {label: {"wall_s": med(label, 0), "cpu_s": med(label, 1), "peak_mb": med(label, 2),
                               "summary": rows[label][-1][3], "runs": rows[label]} for label in rows}
    result["archives"] = {label: {"documents": c[0], "bytes": c[1]} for label, c in counted.items()}
    tags = run.top_tags(data)
    changes = {label: [] for label, _, _ in configs}
    for r in range(args.runs):
        for label, path, on in configs:
            run.BIN = path
            run.log("change to served, %s, run %d ..." % (label, r + 1))
            folder = os.path.join(dirname, "serve-%s" % label.replace(" ", "-"))
            session = r * len(configs) + configs.index((label, path, on))
            got = change_cost(cfg, args.updates, tags, on, folder, published_from(session))
            got["load"] = loadavg()[0]
            run.log("  %s" % json.dumps(got))
            changes[label].append(got)
    result["change"] = {
        label: {"total_median_ms": run.median([c["total"]["median"] for c in runs]),
                "total_p99_ms": run.median([c["total"]["p99"] for c in runs]),
                "startup_s": [c["startup_s"] for c in runs], "runs": runs}
        for label, runs in changes.items()}
    result["load_after"] = loadavg()
    path = run.results_stem(result["date"], "archives-%s" % args.size) + ".json"
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: v for k, v in result.items() if k not in ("machine",)}, indent=2))
    shutil.rmtree(dirname, ignore_errors=True)


if __name__ == "__main__":
    main()
