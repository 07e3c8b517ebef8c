#!/usr/bin/env python3
"""/feed.xml from two syndic binaries and nginx, alternating in one run.

  bench/serve_ab.py --before /tmp/syndic-old --after target/release/syndic --size 20k --runs 3

Both binaries serve the same imported corpus (each from its own copy of the
store and output folder); nginx runs as in bench/run.py (worker_processes auto,
sendfile, gzip_static over syndic's own gzip bytes). Per round and path (plain,
gzip, 304): before, after, nginx, one `wrk -t2 -c64` each. Prints per path the
median req/s of each and the medians of the per-round ratios to nginx, with the
load average seen, then each server's CPU per request (user + system of its
processes during its rounds over the requests answered; nginx's workers counted).
The servers take turns in a rotating order; each must answer its own ETag with 304.
Needs wrk and nginx (bench/run.sh installs them).
"""
import argparse
import datetime
import os
import re
import shutil
import signal
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402


def serve(binary, dirname, cfg):
    run.BIN = binary
    port = int(re.search(r"listen = \"127.0.0.1:(\d+)\"", open(cfg).read()).group(1))
    proc, _ = run.start_serve(cfg, port)
    return proc, "http://127.0.0.1:%d/feed.xml" % port


def cpu_seconds(pid):
    """User + system CPU of a process, its threads and its child processes
    (nginx's workers), so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total, todo = 0.0, [pid]
    while todo:
        p = todo.pop()
        try:
            fields = open("/proc/%d/stat" % p).read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
            for task in os.listdir("/proc/%d/task" % p):
                todo += [int(c) for c in open("/proc/%d/task/%s/children" % (p, task)).read().split()]
        except OSError:
            pass
    return total


def prepare(binary, data, dirname):
    cfg = run.config(dirname, run.free_port())
    run.BIN = binary
    run.timed([binary, "--config", cfg, "import", data])
    return cfg


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", required=True)
    ap.add_argument("--after", required=True)
    ap.add_argument("--size", default="20k")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--wrk-seconds", type=int, default=5)
    args = ap.parse_args()
    n = run.size_articles(args.size)
    now = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
    data = run.corpus(n, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    base = os.path.join(run.WORK, "ab-%s" % args.size)
    shutil.rmtree(base, ignore_errors=True)
    procs, urls = {}, {}
    try:
        for name, binary in (("before", args.before), ("after", args.after)):
            dirname = os.path.join(base, name)
            cfg = prepare(binary, data, dirname)
            procs[name], urls[name] = serve(binary, dirname, cfg)
        _, h_plain, plain = run.get(urls["after"])
        _, _, gz = run.get(urls["after"], {"Accept-Encoding": "gzip"})
        # The same articles; the self links differ by the port.
        assert abs(len(run.get(urls["before"])[2]) - len(plain)) < 1000, "both must serve the same feed"
        root = os.path.join(base, "nginx-root")
        os.makedirs(root)
        with open(os.path.join(root, "feed.xml"), "wb") as f:
            f.write(plain)
        with open(os.path.join(root, "feed.xml.gz"), "wb") as f:
            f.write(gz)
        procs["nginx"], nport = run.start_nginx(root, base)
        urls["nginx"] = "http://127.0.0.1:%d/feed.xml" % nport
        _, nh_plain, _ = run.get(urls["nginx"])
        # Each server's own ETag (the feeds differ by their self links' port).
        etags = {"before": run.get(urls["before"])[1]["etag"], "after": h_plain["etag"],
                 "nginx": nh_plain["ETag"]}
        for server, url in urls.items():
            assert run.get(url, {"If-None-Match": etags[server]})[0] == 304, server
        cases = {"plain": lambda s: [], "gzip": lambda s: ["Accept-Encoding: gzip"],
                 "304": lambda s: ["If-None-Match: %s" % etags[s]]}
        rps = {(c, s): [] for c in cases for s in urls}
        cpu = {(c, s): [] for c in cases for s in urls}
        loads = []
        for r in range(args.runs):
            for case, headers in cases.items():
                # Each round in another order: drift in the machine's load
                # does not always favour the same server.
                order = ("before", "after", "nginx")
                for server in order[r % 3:] + order[:r % 3]:
                    before_cpu = cpu_seconds(procs[server].pid)
                    got = run.wrk(urls[server], args.wrk_seconds, headers(server))
                    spent = cpu_seconds(procs[server].pid) - before_cpu
                    cpu[(case, server)].append(spent * 1e6 / max(1, got["rps"] * args.wrk_seconds))
                    assert got["errors"] == 0, (case, server, got)
                    rps[(case, server)].append(got["rps"])
                loads.append(os.getloadavg()[0])
                run.log("round %d %-5s before %8.0f  after %8.0f  nginx %8.0f req/s  load %.1f" % (
                    r + 1, case, rps[(case, "before")][-1], rps[(case, "after")][-1],
                    rps[(case, "nginx")][-1], loads[-1]))
        print("feed %d B, gzip %d B; %d rounds of %d s; load average %.1f–%.1f" % (
            len(plain), len(gz), args.runs, args.wrk_seconds, min(loads), max(loads)))
        print("| path | before req/s | after req/s | nginx req/s | before/nginx | after/nginx |")
        print("| --- | --- | --- | --- | --- | --- |")
        for case in cases:
            b, a, x = (rps[(case, s)] for s in ("before", "after", "nginx"))
            rb = run.median([p / q for p, q in zip(b, x)])
            ra = run.median([p / q for p, q in zip(a, x)])
            print("| %s | %.0f | %.0f | %.0f | %.2f× (%s) | **%.2f×** (%s) |" % (
                case, run.median(b), run.median(a), run.median(x), rb,
                " ".join("%.2f" % (p / q) for p, q in zip(b, x)), ra,
                " ".join("%.2f" % (p / q) for p, q in zip(a, x))))
        # CPU per request: what each server costs the machine, less moved by
        # the other work on it than req/s (which depends on the CPU share got).
        print("\n| path | CPU µs/request: before | after | nginx | after/before | nginx/after |")
        print("| --- | --- | --- | --- | --- | --- |")
        for case in cases:
            b, a, x = (run.median(cpu[(case, s)]) for s in ("before", "after", "nginx"))
            print("| %s | %.1f | %.1f | %.1f | %.2f | %.2f |" % (case, b, a, x, a / b, x / a))
    finally:
        for name, proc in procs.items():
            proc.send_signal(signal.SIGQUIT if name == "nginx" else signal.SIGTERM)
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
