#!/usr/bin/env python3
"""Memory and latency of a running `syndic serve` under a mixed load (issue 12).

`wrk -t2 -c<connections>` for <seconds> across 50 different feed URLs, each asked
for in identity, gzip and br in turn (so first compressions of new versions
happen while others ask for them), while 5 articles a second are written through
the ingest API (each write changes the global feed, a section and tag feeds).
Resident memory (VmRSS) and threads of the server are sampled every 100 ms.
Reports the start, peak and final RSS (final: 5 s after the load ends), threads,
and wrk's latency percentiles. Standard library only; used by bench/run.py.
"""
import http.client
import json
import os
import re
import subprocess
import threading
import time

CODINGS = ("gzip", "br", "identity")
FEEDS = ("feed.xml", "atom.xml", "feed.json")


def feed_paths(feeds_dir, n=50):
    """n feed URLs: the global ones, then sections, tags and authors in turn."""
    found = []
    for root, _, files in os.walk(feeds_dir):
        for f in files:
            if f in FEEDS:
                found.append("/" + os.path.relpath(os.path.join(root, f), feeds_dir))
    found.sort(key=lambda p: (p.count("/"), p))
    top = [p for p in found if p.count("/") == 1]
    rest = [p for p in found if p.count("/") > 1]
    step = max(1, len(rest) // max(1, n - len(top)))
    return (top + rest[::step])[:n]


def lua_script(paths, path):
    with open(path, "w") as f:
        f.write("paths = {%s}\n" % ", ".join('"%s"' % p for p in paths))
        f.write("codings = {%s}\n" % ", ".join('"%s"' % c for c in CODINGS))
        f.write("""i = 0
request = function()
  i = i + 1
  local p = paths[(i %% #paths) + 1]
  local c = codings[(math.floor(i / #paths) %% #codings) + 1]
  return wrk.format("GET", p, {["Accept-Encoding"] = c})
end
""" % ())
    return path


def proc_status(pid):
    rss = threads = 0
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) / 1024
                elif line.startswith("Threads:"):
                    threads = int(line.split()[1])
    except OSError:
        pass
    return rss, threads


def writer(port, token, per_second, stop, counts):
    api = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    i = 0
    while not stop.is_set():
        t0 = time.time()
        aid = "load-%017d" % (10**17 - time.time_ns() // 1000)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 5))
        body = json.dumps({"url": "https://www.actu.example.ma/load/%s.html" % aid,
                           "title": "Charge %d : mémoire sous charge" % i, "summary": "Article de charge.",
                           "content_html": "<p>Charge.</p>", "section": "Maroc", "tags": ["Maroc", "Rabat"],
                           "authors": ["Bench"], "published_at": now})
        try:
            api.request("PUT", "/api/articles/" + aid, body=body,
                        headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
            r = api.getresponse()
            r.read()
            counts["ok" if r.status in (200, 201) else "failed"] += 1
        except OSError:
            counts["failed"] += 1
            api = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        i += 1
        time.sleep(max(0, 1 / per_second - (time.time() - t0)))


def run(pid, port, token, feeds_dir, workdir, seconds=60, connections=256, writes_per_s=5):
    paths = feed_paths(feeds_dir)
    script = lua_script(paths, os.path.join(workdir, "load_mix.lua"))
    samples = []
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            samples.append(proc_status(pid))
            time.sleep(0.1)

    start_rss, start_threads = proc_status(pid)
    counts = {"ok": 0, "failed": 0}
    threads = [threading.Thread(target=sample, daemon=True),
               threading.Thread(target=writer, args=(port, token, writes_per_s, stop, counts), daemon=True)]
    for t in threads:
        t.start()
    out = subprocess.run(["wrk", "-t2", "-c%d" % connections, "-d%ds" % seconds, "--latency", "--timeout", "10s",
                          "-s", script, "http://127.0.0.1:%d" % port], capture_output=True, text=True, check=True).stdout
    stop.set()
    for t in threads:
        t.join(timeout=30)
    end_rss, end_threads = proc_status(pid)
    time.sleep(5)
    final_rss, _ = proc_status(pid)
    lat = {}
    for p in ("50", "90", "99"):
        m = re.search(r"\b%s%%\s+([\d.]+)(us|ms|s)\b" % p, out)
        lat["p" + p] = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)] if m else 0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.+)", out)
    return {"paths": len(paths), "connections": connections, "seconds": seconds, "rps": rps,
            "latency_ms": lat, "non_2xx": int(errors.group(1)) if errors else 0,
            "socket_errors": sock.group(1) if sock else "", "writes": counts,
            "rss_mb": {"start": start_rss, "peak": max([s[0] for s in samples] or [0]), "end": end_rss,
                       "final": final_rss},
            "threads": {"start": start_threads, "peak": max([s[1] for s in samples] or [0]), "end": end_threads}}
