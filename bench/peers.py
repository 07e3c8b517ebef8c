#!/usr/bin/env python3
"""The cold build against its peers (issue 12, item 5): syndic, Hugo and a Python
feedgen script on the same generated corpus, each as its users run it.

  bench/peers.py --size 20k --runs 3      # medians of 3, alternating
  bench/peers.py --size 100k --runs 3 --skip-hugo

- syndic: `syndic build` (three formats × global, section, tag and author feeds,
  archives as configured — default on, or off with --no-archives — all
  sitemaps, the pages) from a SQLite store imported beforehand (not timed).
- Hugo (Debian's `hugo`): the generated content tree, RSS for home, sections and
  taxonomy terms (tags, categories = sections, authors) through Hugo's embedded
  RSS template, limited to 50 items (`services.rss.limit`), plus its sitemap; no
  HTML pages (no theme): less than syndic writes.
- feedgen: bench/peers_feedgen.py, RSS + Atom for the same feeds, full content.

Each run writes into a folder never used before. Wall, user and system time
and peak memory come from /usr/bin/time -v; medians over runs; the ratio is
the peer's median wall time over syndic's. Results: Markdown on stdout and
bench/results/<date>-peers-<size>-<commit>.{md,json}.
"""
import argparse
import datetime
import os
import re
import shutil
import subprocess
import sys

import run as suite

HUGO_CONFIG = """baseURL = "https://www.actu.example.ma/"
languageCode = "fr"
title = "Actu.ma"
disableKinds = ["404", "robotsTXT"]
[taxonomies]
  tag = "tags"
  category = "categories"
  author = "authors"
[outputs]
  home = ["RSS"]
  section = ["RSS"]
  taxonomy = ["RSS"]
  term = ["RSS"]
  page = []
[services.rss]
  limit = 50
[markup.goldmark.renderer]
  unsafe = true
"""


def prepare(n, now):
    folder = os.path.join(suite.WORK, "peers-%d-%s" % (n, now[:10]))
    done = os.path.join(folder, ".ready")
    if not os.path.exists(done):
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder)
        suite.log("generating %d articles (JSON Lines and a Hugo tree) ..." % n)
        subprocess.run([sys.executable, suite.GEN, "--n", str(n), "--seed", "1", "--now", now,
                        "--out", os.path.join(folder, "corpus.jsonl"),
                        "--hugo-dir", os.path.join(folder, "hugo")],
                       check=True, stderr=subprocess.DEVNULL)
        with open(os.path.join(folder, "hugo", "config.toml"), "w") as f:
            f.write(HUGO_CONFIG)
        open(done, "w").close()
    return folder


def measure(label, cmd, env=None):
    wall, _, rss, err = suite.timed(cmd, env=env)
    user = float(re.search(r"User time \(seconds\): (\S+)", err).group(1))
    system = float(re.search(r"System time \(seconds\): (\S+)", err).group(1))
    suite.log("  %s: %.2f s wall, %.2f s user, %.2f s sys, %.0f MB" % (label, wall, user, system, rss))
    return {"wall_s": wall, "user_s": user, "sys_s": system, "peak_mb": rss}


def commands(folder, cfg, now, archives):
    env = {"SYNDIC_ARCHIVES__ENABLED": "true" if archives else "false"}
    return {
        "syndic": lambda out: ([suite.BIN, "--config", cfg, "build"], dict(env, SYNDIC_OUTPUT__DIR=out)),
        "hugo": lambda out: (["hugo", "--quiet", "-s", os.path.join(folder, "hugo"), "-d", out,
                              "--cacheDir", out + "-cache"], None),
        "feedgen": lambda out: ([sys.executable, os.path.join(suite.HERE, "peers_feedgen.py"),
                                 os.path.join(folder, "corpus.jsonl"), out, "--now", now], None),
    }


def written(out):
    files, size = 0, 0
    for top, _, names in os.walk(out):
        files += len(names)
        size += sum(os.path.getsize(os.path.join(top, f)) for f in names)
    return files, size / 1e6


def summarise(rows):
    keys = ("wall_s", "user_s", "sys_s", "peak_mb", "files", "mb_written")
    return {k: suite.median([r[k] for r in rows]) for k in keys} | {"runs": rows}


def table(result):
    base = result["tools"]["syndic"]["wall_s"]
    lines = ["| tool (%s articles, median of %d runs) | wall | user | sys | peak memory | files written | MB written | wall ÷ syndic's |" % (
        format(result["articles"], ","), result["runs"]), "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for name, t in result["tools"].items():
        ratio = "1" if name == "syndic" else "**%.1f×**" % (t["wall_s"] / base)
        lines.append("| %s | %.2f s | %.2f s | %.2f s | %.0f MB | %d | %.0f | %s |" % (
            name, t["wall_s"], t["user_s"], t["sys_s"], t["peak_mb"], t["files"], t["mb_written"], ratio))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="20k")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--skip-hugo", action="store_true")
    ap.add_argument("--skip-feedgen", action="store_true")
    ap.add_argument("--no-archives", action="store_true", help="syndic without its archive pages")
    a = ap.parse_args()
    n = suite.size_articles(a.size)
    now = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    subprocess.run(["cargo", "build", "--quiet", "--release"], cwd=suite.ROOT, check=True)
    folder = prepare(n, stamp)
    dirname = os.path.join(folder, "run")
    shutil.rmtree(dirname, ignore_errors=True)
    suite.log("importing into syndic's store (not timed) ...")
    _, cfg = suite.bench_import(n, os.path.join(folder, "corpus.jsonl"), 1, dirname)
    tools = commands(folder, cfg, stamp, not a.no_archives)
    skip = {"hugo"} if a.skip_hugo else set()
    skip |= {"feedgen"} if a.skip_feedgen else set()
    rows = {name: [] for name in tools if name not in skip}
    for r in range(a.runs):
        for name in rows:  # alternating: each round runs every tool once
            out = os.path.join(dirname, "%s-%d" % (name, r))
            cmd, env = tools[name](out)
            row = measure("%s run %d" % (name, r + 1), cmd, env)
            row["files"], row["mb_written"] = written(out)
            rows[name].append(row)
            shutil.rmtree(out, ignore_errors=True)
            shutil.rmtree(out + "-cache", ignore_errors=True)
    result = {"articles": n, "runs": a.runs, "date": now.strftime("%Y-%m-%d"), "machine": suite.machine(),
              "archives": not a.no_archives, "load_after": os.getloadavg()[0],
              "tools": {name: summarise(rs) for name, rs in rows.items()}}
    md = "Measured %s on %s with `bench/peers.py --size %s --runs %d%s` (load average %.1f at the end).\n\n%s\n" % (
        result["date"], result["machine"], a.size, a.runs, " --no-archives" if a.no_archives else "",
        result["load_after"], table(result))
    stem = suite.results_stem(result["date"], "peers-%s%s" % (a.size, "-no-archives" if a.no_archives else ""))
    suite.write_results(stem, result, md)
    print(md)


if __name__ == "__main__":
    main()
