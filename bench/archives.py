#!/usr/bin/env python3
"""Feed archives (issue 14): what they cost at a given size.

  bench/archives.py --size 100k --runs 3

Imports the corpus once, then builds it alternately with and without archives
(`SYNDIC_ARCHIVES__ENABLED`), each run into a fresh folder (see run.py's
bench_build), and reports medians; counts the archive documents and their bytes
in one build; then starts `serve` with and without archives and times PUT
round trips (write, regeneration, served) of new articles on the most used tags.
Release build, everything on 127.0.0.1. Results in bench/results/<date>-archives-<size>.json.
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
    folder = os.path.join(dirname, "build-%s-%d" % (label, r))
    env = {"SYNDIC_OUTPUT__DIR": folder, "SYNDIC_ARCHIVES__ENABLED": "true" if archives else "false"}
    wall, cpu, rss, err = run.timed([run.BIN, "--config", cfg, "build"], env=env)
    out = [l for l in err.splitlines() if l.startswith("built ")][-1]
    run.log("  %s run %d: %.2f s wall, %.2f s CPU, %.0f MB; %s" % (label, r + 1, wall, cpu, rss, out))
    return folder, (wall, cpu, rss, out)


def change_cost(cfg, updates, tags, archives):
    port = int(open(cfg).read().split('listen = "127.0.0.1:')[1].split('"')[0])
    os.environ["SYNDIC_ARCHIVES__ENABLED"] = "true" if archives else "false"
    try:
        proc, startup = run.start_serve(cfg, port)
    finally:
        del os.environ["SYNDIC_ARCHIVES__ENABLED"]
    try:
        result = run.change_to_served(port, updates, tags)
        result["startup_s"] = startup
        return result
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="100k")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--updates", type=int, default=200)
    args = ap.parse_args()
    n = run.SIZES.get(args.size) or int(args.size)
    now = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
    data = run.corpus(n, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=run.ROOT, check=True)
    dirname = os.path.join(run.WORK, "archives-%s" % args.size)
    shutil.rmtree(dirname, ignore_errors=True)
    _imp, cfg = run.bench_import(n, data, 1, dirname)
    rows = {"with": [], "without": []}
    counted = None
    for r in range(args.runs):
        for label, on in (("without", False), ("with", True)):
            folder, row = build_once(cfg, dirname, label, r, on)
            rows[label].append(row)
            if on and counted is None:
                counted = archive_docs(folder)
            shutil.rmtree(folder, ignore_errors=True)
    med = lambda label, i: run.median([x[i] for x in rows[label]])
    result = {
        "articles": n, "date": now.strftime("%Y-%m-%d"), "machine": run.machine(), "runs": args.runs,
        "build_with": {"wall_s": med("with", 0), "cpu_s": med("with", 1), "peak_mb": med("with", 2),
                       "summary": rows["with"][-1][3], "runs": rows["with"]},
        "build_without": {"wall_s": med("without", 0), "cpu_s": med("without", 1), "peak_mb": med("without", 2),
                          "summary": rows["without"][-1][3], "runs": rows["without"]},
        "archive_documents": counted[0], "archive_bytes": counted[1],
    }
    tags = run.top_tags(data)
    run.log("change to served, with archives ...")
    result["change_with"] = change_cost(cfg, args.updates, tags, True)
    run.log("change to served, without archives ...")
    result["change_without"] = change_cost(cfg, args.updates, tags, False)
    os.makedirs(os.path.join(run.HERE, "results"), exist_ok=True)
    path = os.path.join(run.HERE, "results", "%s-archives-%s.json" % (result["date"], args.size))
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print(json.dumps({k: v for k, v in result.items() if k not in ("machine",)}, indent=2))
    shutil.rmtree(dirname, ignore_errors=True)


if __name__ == "__main__":
    main()
