#!/usr/bin/env python3
"""syndic benchmark suite: import, cold build, change-to-served, serving vs nginx, memory.

  bench/run.sh --size 100k          # 100,000 articles, 3 runs each, medians
  bench/run.sh --size tiny --runs 1 --wrk-seconds 1 --updates 20   # the CI smoke run

Corpora come from bench/gen_corpus.py (a vendored copy), generated on the fly into
bench/.work/ (git-ignored, never committed). Everything runs on this machine,
release build, servers on 127.0.0.1. Results: a Markdown table on stdout and in
bench/results/<date>-<size>-<commit>.md, with the raw figures as JSON beside it.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.request

import load_mix

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
WORK = os.path.join(HERE, ".work")
GEN = os.path.join(HERE, "gen_corpus.py")
TARGET = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
BIN = os.path.join(TARGET, "release", "syndic")  # --profile dev: target/debug
SIZES = {"tiny": 2000, "3k": 3000, "10k": 10_000, "20k": 20_000, "100k": 100_000, "1m": 1_000_000}
TOKEN = "bench-token"


def size_articles(size):
    """A --size (tiny, 10k, 100k, 1m… or a number) as a number of articles."""
    return SIZES.get(size) or int(size)


def commit():
    """The checkout's commit, with `-dirty` when tracked files differ from it;
    empty outside a git checkout."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    changed = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                             capture_output=True, text=True).stdout.strip()
    return head + ("-dirty" if changed else "")


def results_stem(date, name):
    """bench/results/DATE-NAME-COMMIT: named by the commit measured, so that a
    run never overwrites the figures of another commit (committed ones included)."""
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    return os.path.join(HERE, "results", "-".join(p for p in (date, name, commit()) if p))


def write_results(stem, result, md):
    """Writes a run's table (stem.md) and raw figures (stem.json) under bench/results/."""
    os.makedirs(os.path.dirname(stem), exist_ok=True)
    with open(stem + ".md", "w") as f:
        f.write(md)
    with open(stem + ".json", "w") as f:
        json.dump(result, f, indent=2)


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def corpus(n, now):
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, "corpus-%d-%s.jsonl" % (n, now[:10]))
    if not os.path.exists(path):
        log("generating %d articles ..." % n)
        subprocess.run([sys.executable, GEN, "--n", str(n), "--seed", "1", "--now", now, "--out", path + ".tmp"],
                       check=True, stderr=subprocess.DEVNULL)
        os.rename(path + ".tmp", path)
    return path


def config(dirname, port):
    os.makedirs(dirname, exist_ok=True)
    path = os.path.join(dirname, "config.toml")
    with open(path, "w") as f:
        f.write("""[site]
title = "Actu.ma"
description = "L’actualité du Maroc et du monde"
language = "fr"
home_url = "https://www.actu.example.ma/"
public_url = "http://127.0.0.1:%d/"
publication_name = "Actu.ma"
guid_authority = "actu.example.ma,2026"
[store]
url = "sqlite:%s/store.db"
[output]
dir = "%s/feeds"
[server]
listen = "127.0.0.1:%d"
api_token = "%s"
# every client of the benchmark has the one address 127.0.0.1 (as behind a proxy)
max_connections_per_address = 8192
""" % (port, dirname, dirname, port, TOKEN))
    return path


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time -v: (wall s, cpu s, peak RSS MB, stderr)."""
    p = subprocess.run(["/usr/bin/time", "-v"] + cmd, capture_output=True, text=True,
                       env=dict(os.environ, **(env or {})))
    if p.returncode != 0:
        sys.exit("failed: %s\n%s" % (" ".join(cmd), p.stderr[-3000:]))
    err = p.stderr
    def field(name):
        m = re.search(r"%s: (.+)" % re.escape(name), err)
        return m.group(1).strip() if m else "0"
    wall = field("Elapsed (wall clock) time (h:mm:ss or m:ss)")
    parts = [float(x) for x in wall.split(":")]
    wall_s = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) > 2 else 0)
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    rss = int(field("Maximum resident set size (kbytes)")) / 1024
    return wall_s, cpu, rss, err


def median(xs):
    return statistics.median(xs) if xs else 0


def fresh_pg_database(base):
    """A new, empty database beside the one `base` names (its name + `_bench`)."""
    server, name = base.rsplit("/", 1)
    fresh = name + "_bench"
    # CHECKPOINT: the previous run's pages (and the dropped database's) are
    # flushed now, not during the run timed next; each run pays for its own.
    for sql in ("DROP DATABASE IF EXISTS %s WITH (FORCE)" % fresh, "CREATE DATABASE %s" % fresh, "CHECKPOINT"):
        subprocess.run(["psql", server + "/postgres", "-qc", sql], check=True, capture_output=True)
    return server + "/" + fresh


def bench_import(n, data, runs, dirname, pg=None):
    """Imports into a fresh SQLite store (or, with `pg`, a fresh PostgreSQL database) per run."""
    cfg = config(dirname, free_port())
    rows = []
    for r in range(runs):
        for f in os.listdir(dirname):
            if f.startswith("store.db"):
                os.remove(os.path.join(dirname, f))
        env = {"SYNDIC_STORE__URL": fresh_pg_database(pg)} if pg else None
        os.sync()  # the previous run's dirty pages written back now, not during this one
        wall, cpu, rss, _ = timed([BIN, "--config", cfg, "import", data], env=env)
        log("  import run %d (%s): %.2f s, %.0f MB" % (r + 1, "postgres" if pg else "sqlite", wall, rss))
        rows.append((wall, cpu, rss))
    wall = median([x[0] for x in rows])
    return {"wall_s": wall, "cpu_s": median([x[1] for x in rows]), "peak_mb": median([x[2] for x in rows]),
            "articles_per_s": n / wall if wall else 0, "runs": rows}, cfg


def bench_build(cfg, dirname, runs):
    """Each run builds into a folder of its own, never used before: deleting the
    previous run's thousands of files just before would time ext4's inode
    allocator skipping the recently deleted ones (perf: find_inode_bit,
    recently_deleted), not the build. The folders go after the last run."""
    rows = []
    out = ""
    folders = []
    for r in range(runs):
        folder = os.path.join(dirname, "build-%d-%d" % (os.getpid(), r))
        folders.append(folder)
        wall, cpu, rss, err = timed([BIN, "--config", cfg, "build"], env={"SYNDIC_OUTPUT__DIR": folder})
        out = [l for l in err.splitlines() if l.startswith("built ")][-1]
        system = float(re.search(r"System time \(seconds\): (\S+)", err).group(1))
        log("  build run %d: %.2f s wall, %.2f s CPU (%.2f s sys), %.0f MB" % (r + 1, wall, cpu, system, rss))
        rows.append((wall, cpu, rss, system))
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    docs = int(re.match(r"built (\d+)", out).group(1))
    return {"wall_s": median([x[0] for x in rows]), "cpu_s": median([x[1] for x in rows]),
            "peak_mb": median([x[2] for x in rows]), "sys_s": median([x[3] for x in rows]),
            "documents": docs, "summary": out, "runs": rows}


def get(url, headers=None, timeout=30):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, dict(r.headers), r.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), b""
    except OSError:
        return 0, {}, b""


def start_serve(cfg, port):
    t0 = time.perf_counter()
    proc = subprocess.Popen([BIN, "--config", cfg, "serve"], stdout=subprocess.DEVNULL,
                            stderr=open(cfg + ".serve.log", "a"))
    while time.perf_counter() - t0 < 600:
        if get("http://127.0.0.1:%d/feed.xml" % port, timeout=2)[0] == 200:
            return proc, time.perf_counter() - t0
        if proc.poll() is not None:
            sys.exit("syndic serve exited; see %s.serve.log" % cfg)
        time.sleep(0.01)
    sys.exit("syndic serve did not start")


def wait_following(port, limit=900):
    """Waits until the server follows the store (a start from the mirror serves
    before: /healthz says catching_up until then); its own count of seconds
    from the start of serve to that point."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < limit:
        body = get("http://127.0.0.1:%d/healthz" % port, timeout=2)[2]
        if body and json.loads(body).get("catching_up") is False:
            return metric(port, "syndic_start_following_milliseconds") / 1000
        time.sleep(0.01)
    sys.exit("the server did not follow the store within %d s" % limit)


def restart_from_manifest(cfg, port):
    """Seconds from process start to the first served /feed.xml after a clean stop
    (the mirror and its manifest match the store: nothing to render), and to
    following the store (index loaded)."""
    proc, elapsed = start_serve(cfg, port)
    try:
        following = wait_following(port)
        if metric(port, "syndic_started_from_manifest") != 1:
            sys.exit("the restart did not start from the manifest; see %s.serve.log" % cfg)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    return elapsed, following


def rss_mb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0


def metric(port, name):
    _, _, body = get("http://127.0.0.1:%d/metrics" % port)
    m = re.search(r"^%s (\d+)" % re.escape(name), body.decode(), re.M)
    return int(m.group(1)) if m else 0


def top_tags(data, k=3):
    counts = {}
    with open(data, encoding="utf-8") as f:
        for i, line in enumerate(f):
            if i >= 20000:
                break
            for t in json.loads(line).get("tags", []):
                counts[t] = counts.get(t, 0) + 1
    return [t for t, _ in sorted(counts.items(), key=lambda x: -x[1])[:k]]


def change_to_served(port, updates, tags, published_from=None):
    cmd = [sys.executable, os.path.join(HERE, "change_to_served.py"), "--url", "http://127.0.0.1:%d" % port,
           "--token", TOKEN, "--n", str(updates), "--json"]
    if published_from:
        cmd += ["--published-from", published_from]
    for t in tags:
        cmd += ["--tag", t]
    return json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True).stdout)


# nginx as people run it in production: a worker per core (`auto`), sendfile,
# gzip_static serving the very .gz bytes syndic sends (written beside each file
# by bench_serving, since syndic compresses in memory and writes no .gz files).
NGINX_CONF = """daemon off;
worker_processes auto;
pid %(dir)s/nginx.pid;
error_log %(dir)s/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  default_type application/rss+xml;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  gzip_static on;
  etag on;
  client_body_temp_path %(dir)s/tmp; proxy_temp_path %(dir)s/tmp; fastcgi_temp_path %(dir)s/tmp;
  uwsgi_temp_path %(dir)s/tmp; scgi_temp_path %(dir)s/tmp;
  server { listen 127.0.0.1:%(port)d; root %(root)s; }
}
"""


def start_nginx(root, dirname):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    port = free_port()
    ndir = os.path.join(dirname, "nginx")
    os.makedirs(os.path.join(ndir, "tmp"), exist_ok=True)
    conf = os.path.join(ndir, "nginx.conf")
    with open(conf, "w") as f:
        f.write(NGINX_CONF % {"dir": ndir, "port": port, "root": root})
    proc = subprocess.Popen([nginx, "-c", conf, "-e", os.path.join(ndir, "error.log")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        if get("http://127.0.0.1:%d/feed.xml" % port, timeout=1)[0] == 200:
            return proc, port
        time.sleep(0.01)
    sys.exit("nginx did not start; see %s" % os.path.join(ndir, "error.log"))


def wrk(url, seconds, headers):
    cmd = ["wrk", "-t2", "-c64", "-d%ds" % seconds, "--latency"]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p99_ms": p99, "errors": int(non2xx.group(1)) if non2xx else 0}


def bench_serving(port, dirname, seconds, rounds):
    """The global feed, from syndic and from nginx (worker_processes auto, sendfile,
    gzip_static over the same bytes), in alternating rounds: per path the range
    of each server's req/s and the median of the per-round ratios."""
    base = "http://127.0.0.1:%d/feed.xml" % port
    _, h_plain, plain = get(base)
    _, h_gz, gz = get(base, {"Accept-Encoding": "gzip"})
    root = os.path.join(dirname, "nginx-root")
    os.makedirs(root, exist_ok=True)
    # syndic compresses in memory and writes no .gz files: nginx's gzip_static
    # gets the very bytes syndic sends, written beside the file.
    with open(os.path.join(root, "feed.xml"), "wb") as f:
        f.write(plain)
    with open(os.path.join(root, "feed.xml.gz"), "wb") as f:
        f.write(gz)
    nginx, nport = start_nginx(root, dirname)
    try:
        nbase = "http://127.0.0.1:%d/feed.xml" % nport
        _, nh_plain, _ = get(nbase)
        _, nh_gz, ngz = get(nbase, {"Accept-Encoding": "gzip"})
        assert ngz == gz, "nginx must serve the very same gzip bytes"
        cases = {
            "plain": ([], []),
            "gzip": (["Accept-Encoding: gzip"], ["Accept-Encoding: gzip"]),
            "304": (["If-None-Match: %s" % h_plain["etag"]], ["If-None-Match: %s" % nh_plain["ETag"]]),
        }
        out = {"bytes": len(plain), "gzip_bytes": len(gz), "rounds": rounds, "load": []}
        runs = {name: [] for name in cases}
        for r in range(rounds):
            for name, (sh, nh) in cases.items():
                s = wrk(base, seconds, sh)
                n = wrk(nbase, seconds, nh)
                out["load"].append(os.getloadavg()[0])
                runs[name].append({"syndic": s, "nginx": n, "ratio": s["rps"] / n["rps"] if n["rps"] else 0})
                log("  round %d %-5s syndic %8.0f req/s  nginx %8.0f req/s  ratio %.2f" % (
                    r + 1, name, s["rps"], n["rps"], runs[name][-1]["ratio"]))
        for name, rs in runs.items():
            out[name] = {"runs": rs, "ratio": median([x["ratio"] for x in rs]),
                         "ratio_range": (min(x["ratio"] for x in rs), max(x["ratio"] for x in rs)),
                         "syndic": {"rps": median([x["syndic"]["rps"] for x in rs]),
                                    "range": (min(x["syndic"]["rps"] for x in rs), max(x["syndic"]["rps"] for x in rs)),
                                    "p99_ms": median([x["syndic"]["p99_ms"] for x in rs])},
                         "nginx": {"rps": median([x["nginx"]["rps"] for x in rs]),
                                   "range": (min(x["nginx"]["rps"] for x in rs), max(x["nginx"]["rps"] for x in rs)),
                                   "p99_ms": median([x["nginx"]["p99_ms"] for x in rs])}}
        return out
    finally:
        nginx.send_signal(signal.SIGQUIT)
        nginx.wait(timeout=10)


def machine():
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return "%d cores (%s), %.0f GiB, %s" % (os.cpu_count(), cpu, mem, platform.platform())


def table(r):
    imp, bld, srv, chg = r["import"], r["build"], r["serving"], r["change"]
    rows = [
        ("import into SQLite", "%.0f articles/s (%.2f s; runs %s s), peak %.0f MB" % (
            imp["articles_per_s"], imp["wall_s"], ", ".join("%.2f" % x[0] for x in imp["runs"]), imp["peak_mb"])),
        ("cold build", "%.2f s wall, %.2f s CPU of which %.2f s sys, peak %.0f MB, %d documents" % (
            bld["wall_s"], bld["cpu_s"], bld["sys_s"], bld["peak_mb"], bld["documents"])),
        ("serve start-up, full pass (no mirror yet)", "%.2f s to the first served document" % r["startup_s"]),
        ("serve restart after a clean stop (from the manifest)", "%.2f s to the first served document (following the store at %.2f s)" % (r["restart_s"], r.get("restart_following_s", 0))),
        ("change to served (PUT round trip, regeneration included)", "median %.1f ms, p99 %.1f ms" % (
            chg["put"]["median"], chg["put"]["p99"])),
        ("PUT returned → new bytes served", "median %.2f ms, p99 %.2f ms" % (chg["after"]["median"], chg["after"]["p99"])),
        ("memory of serve", "%.0f MB resident, index %.0f bytes/article" % (r["serve_rss_mb"], r["index_bytes_per_article"])),
    ]
    pg = r.get("import_pg")
    if pg:
        rows.insert(1, ("import into PostgreSQL", "%.0f articles/s (%.2f s; runs %s s), peak %.0f MB" % (
            pg["articles_per_s"], pg["wall_s"], ", ".join("%.2f" % x[0] for x in pg["runs"]), pg["peak_mb"])))
    for case in ("plain", "gzip", "304"):
        c = srv[case]
        rows.append(("serving /feed.xml (%d KB; gzip %d KB) %s, `wrk -t2 -c64`, %d alternating rounds; nginx `worker_processes auto`, sendfile, gzip_static" % (
            srv["bytes"] // 1024, srv["gzip_bytes"] // 1024, case, srv["rounds"]),
            "syndic %.0f req/s (%.0f–%.0f, p99 %.2f ms), nginx %.0f req/s (%.0f–%.0f, p99 %.2f ms): **%.2f×** (rounds %.2f–%.2f×)" % (
                c["syndic"]["rps"], c["syndic"]["range"][0], c["syndic"]["range"][1], c["syndic"]["p99_ms"],
                c["nginx"]["rps"], c["nginx"]["range"][0], c["nginx"]["range"][1], c["nginx"]["p99_ms"],
                c["ratio"], c["ratio_range"][0], c["ratio_range"][1])))
    rows.append(("load average (1 min) during the serving rounds", "%.1f–%.1f" % (min(srv["load"]), max(srv["load"]))))
    m = r.get("load_mix")
    if m:
        rows.append(("load mix: `wrk -t2 -c%d` %d s over %d feed URLs (identity, gzip, br in turn), %d writes/s through the API" % (
            m["connections"], m["seconds"], m["paths"], 5),
            "%.0f req/s; latency p50 %.1f ms, p90 %.1f ms, p99 %.1f ms; %d writes (%d failed); non-2xx %d %s" % (
                m["rps"], m["latency_ms"]["p50"], m["latency_ms"]["p90"], m["latency_ms"]["p99"],
                m["writes"]["ok"], m["writes"]["failed"], m["non_2xx"], m["socket_errors"])))
        rows.append(("load mix: resident memory (start / peak / end / 5 s later), threads (start / peak)",
                     "%.0f / %.0f / %.0f / %.0f MB; threads %d / %d" % (
                         m["rss_mb"]["start"], m["rss_mb"]["peak"], m["rss_mb"]["end"], m["rss_mb"]["final"],
                         m["threads"]["start"], m["threads"]["peak"])))
    lines = ["| measure (%s articles, median of %d runs) | result |" % (format(r["articles"], ","), r["runs"]),
             "| --- | --- |"]
    lines += ["| %s | %s |" % row for row in rows]
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", default="100k", help="tiny, 10k, 100k, 1m or a number of articles")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--updates", type=int, default=500)
    ap.add_argument("--wrk-seconds", type=int, default=10)
    ap.add_argument("--load-seconds", type=int, help="length of the load mix (default: 6 × --wrk-seconds, at most 60)")
    ap.add_argument("--load-connections", type=int, default=256)
    ap.add_argument("--pg", metavar="URL", help="also import into PostgreSQL: a fresh database beside URL's "
                    "(e.g. postgres://postgres@127.0.0.1:5432/test → test_bench)")
    ap.add_argument("--profile", choices=["release", "dev"], default="release",
                    help="dev: the debug build, to check that the suite runs (CI); figures need release")
    args = ap.parse_args()
    global BIN
    BIN = os.path.join(TARGET, "release" if args.profile == "release" else "debug", "syndic")
    n = size_articles(args.size)
    now = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
    data = corpus(n, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    log("building syndic (%s) ..." % args.profile)
    build = ["--release"] if args.profile == "release" else []
    subprocess.run(["cargo", "build", "--quiet", *build], cwd=ROOT, check=True)
    dirname = os.path.join(WORK, "run-%s" % args.size)
    shutil.rmtree(dirname, ignore_errors=True)
    result = {"articles": n, "runs": args.runs, "date": now.strftime("%Y-%m-%d"), "machine": machine()}
    log("import ...")
    result["import"], cfg = bench_import(n, data, args.runs, dirname)
    if args.pg:
        result["import_pg"], _ = bench_import(n, data, args.runs, os.path.join(dirname, "pg"), args.pg)
    log("cold build ...")
    result["build"] = bench_build(cfg, dirname, args.runs)
    port = int(re.search(r"listen = \"127.0.0.1:(\d+)\"", open(cfg).read()).group(1))
    log("serve ...")
    proc, startup = start_serve(cfg, port)
    try:
        result["startup_s"] = startup
        result["serve_rss_mb"] = rss_mb(proc.pid)
        articles = metric(port, "syndic_articles") or n
        result["index_bytes_per_article"] = metric(port, "syndic_index_bytes") / articles
        # Serving first: the change benchmark fills the global feed with its
        # short test articles, and the served feed must be the corpus' own.
        log("serving vs nginx ...")
        result["serving"] = bench_serving(port, dirname, args.wrk_seconds, max(1, args.runs))
        log("change to served (%d updates) ..." % args.updates)
        result["change"] = change_to_served(port, args.updates, top_tags(data))
        result["serve_rss_mb_after"] = rss_mb(proc.pid)
        seconds = args.load_seconds or min(60, 6 * args.wrk_seconds)
        log("load mix (%d s, %d connections) ..." % (seconds, args.load_connections))
        result["load_mix"] = load_mix.run(proc.pid, port, TOKEN, os.path.join(dirname, "feeds"), dirname,
                                          seconds, args.load_connections)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=120)
    log("restart after a clean stop ...")
    result["restart_s"], result["restart_following_s"] = restart_from_manifest(cfg, port)
    md = "Measured %s on %s with `bench/run.sh --size %s --runs %d`.\n\n%s\n" % (
        result["date"], result["machine"], args.size, args.runs, table(result))
    write_results(results_stem(result["date"], args.size), result, md)
    print(md)


if __name__ == "__main__":
    main()
