#!/usr/bin/env python3
"""Two `syndic serve` replicas on one PostgreSQL store: latency on the other replica,
an outage, catch-up, identical bytes.

  bench/replicas.py --size 100k      # private PostgreSQL cluster under bench/.work/

1. imports the corpus into a private PostgreSQL cluster (initdb/pg_ctl; runs as
   user postgres when started as root) and starts replicas A and B;
2. commit-to-served on the *other* replica: N single-row INSERTs committed through a
   persistent psql session, each timed from psql's acknowledgement of the commit to
   replica B serving the new title (and A, for comparison);
3. stops PostgreSQL for --outage seconds while both replicas are polled; counts any
   feed answer other than 200/304; starts it, writes 500 articles through psql at
   once, and times until both replicas serve all 500 (their month sitemap);
4. compares every document of both replicas: bytes and ETag.
"""
import argparse
import hashlib
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run as suite  # noqa: E402  (corpus, free_port, BIN, WORK)

TOKEN = "bench-token"


def pg_bin():
    base = "/usr/lib/postgresql"
    versions = sorted(os.listdir(base))
    return os.path.join(base, versions[-1], "bin")


def as_postgres(cmd):
    return (["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []) + cmd


class Cluster:
    def __init__(self, root):
        self.root, self.port = root, suite.free_port()
        shutil.rmtree(root, ignore_errors=True)
        os.makedirs(root)
        if os.geteuid() == 0:
            shutil.chown(root, "postgres")
        subprocess.run(as_postgres([os.path.join(pg_bin(), "initdb"), "-D", root + "/data", "-A", "trust",
                                    "-U", "postgres", "--no-sync"]), check=True, stdout=subprocess.DEVNULL)
        self.up()

    def ctl(self, *args):
        subprocess.run(as_postgres([os.path.join(pg_bin(), "pg_ctl"), "-D", self.root + "/data"] + list(args)),
                       check=True, stdout=subprocess.DEVNULL)

    def up(self):
        opts = "-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100" % (self.port, self.root)
        self.ctl("-o", opts, "-l", self.root + "/log", "-w", "start")

    def down(self):
        self.ctl("-m", "fast", "-w", "stop")

    def url(self):
        return "postgres://postgres@127.0.0.1:%d/postgres" % self.port

    def psql(self):
        return subprocess.Popen(["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-q",
                                 "-v", "ON_ERROR_STOP=1", "postgres"], stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, text=True, bufsize=1)


def get(conn_cache, port, path):
    c = conn_cache.get(port)
    if c is None:
        c = conn_cache[port] = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.getheader("ETag"), r.read()
    except (OSError, http.client.HTTPException):
        conn_cache.pop(port, None)
        return 0, None, b""


def newest_id():
    """Feeds order by publication (to the second), then by id, smallest first:
    ids that decrease with time keep each write the newest of its second, however
    many writes a second brings (past 50 a second, one fell out of the feed)."""
    return "rep-%017d" % (10**17 - time.time_ns() // 1000)


def insert_sql(aid, i, tag, run):
    return ("INSERT INTO articles (id, url, title, published_at, section, tags, authors, content_html) VALUES "
            "('%s', 'https://www.actu.example.ma/%s.html', 'Réplication %s %d', now(), 'Maroc', '[\"%s\"]', "
            "'[\"S.A\"]', '<p>Texte.</p>');" % (aid, aid, run, i, tag))


def pct(xs, p):
    s = sorted(xs)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--size", default="100k")
    ap.add_argument("--writes", type=int, default=200)
    ap.add_argument("--outage", type=int, default=30)
    args = ap.parse_args()
    n = suite.size_articles(args.size)
    import datetime
    now = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0, microsecond=0)
    data = suite.corpus(n, now.strftime("%Y-%m-%dT%H:%M:%SZ"))
    subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=suite.ROOT, check=True)
    work = os.path.join(suite.WORK, "replicas-%s" % args.size)
    shutil.rmtree(work, ignore_errors=True)
    pg = Cluster(os.path.join(work, "pg"))
    out = {"articles": n}
    try:
        cfg_a = suite.config(os.path.join(work, "a"), suite.free_port())
        cfg_b = suite.config(os.path.join(work, "b"), suite.free_port())
        for cfg in (cfg_a, cfg_b):
            text = open(cfg).read().replace('url = "sqlite:%s/store.db"' % os.path.dirname(cfg), 'url = "%s"' % pg.url())
            # Replicas behind one load balancer share their public URL.
            text = text.replace(text.split('public_url = "')[1].split('"')[0], "https://feeds.actu.example.ma/", 1)
            open(cfg, "w").write(text)
        t = time.perf_counter()
        subprocess.run([suite.BIN, "--config", cfg_a, "import", data], check=True, stderr=subprocess.DEVNULL)
        out["import_s"] = time.perf_counter() - t
        suite.log("imported %d articles into PostgreSQL in %.1f s" % (n, out["import_s"]))
        port = lambda cfg: int(open(cfg).read().split('listen = "127.0.0.1:')[1].split('"')[0])
        pa, pb = port(cfg_a), port(cfg_b)
        a, sa = suite.start_serve(cfg_a, pa)
        b, sb = suite.start_serve(cfg_b, pb)
        out["startup_s"] = [sa, sb]
        try:
            latency(pg, pa, pb, args.writes, out)
            outage(pg, pa, pb, args.outage, out)
            out["identical"] = compare(pa, pb, os.path.join(work, "a", "feeds"))
        finally:
            for p in (a, b):
                p.terminate()
                p.wait(timeout=30)
    finally:
        try:
            pg.down()
        except subprocess.CalledProcessError:
            pass
    print(json.dumps(out, indent=2))


def latency(pg, pa, pb, writes, out):
    suite.log("commit-to-served on the other replica (%d writes) ..." % writes)
    psql, conns, run = pg.psql(), {}, str(int(time.time()))
    on_b, on_a = [], []
    for i in range(writes):
        psql.stdin.write(insert_sql(newest_id(), i, "Iran", run) + "\n\\echo tick %d\n" % i)
        while psql.stdout.readline().strip() != "tick %d" % i:
            pass
        committed = time.perf_counter()
        title = ("Réplication %s %d<" % (run, i)).encode()
        seen = {}
        while len(seen) < 2 and time.perf_counter() - committed < 5:
            for name, port in (("b", pb), ("a", pa)):
                if name not in seen and title in get(conns, port, "/tags/iran/feed.xml")[2]:
                    seen[name] = time.perf_counter() - committed
        if len(seen) < 2:
            sys.exit("write %d was not served by both replicas within 5 s" % i)
        on_b.append(seen["b"] * 1000)
        on_a.append(seen["a"] * 1000)
    psql.stdin.close()
    psql.wait()
    out["other_replica_ms"] = {"median": statistics.median(on_b), "p99": pct(on_b, 99), "max": max(on_b)}
    out["both_replicas_ms"] = {"median": statistics.median([max(x, y) for x, y in zip(on_a, on_b)]),
                               "p99": pct([max(x, y) for x, y in zip(on_a, on_b)], 99)}
    suite.log("  other replica: median %.1f ms, p99 %.1f ms" % (out["other_replica_ms"]["median"],
                                                             out["other_replica_ms"]["p99"]))


def outage(pg, pa, pb, seconds, out):
    suite.log("PostgreSQL down for %d s ..." % seconds)
    paths = ["/feed.xml", "/atom.xml", "/feed.json", "/tags/iran/feed.xml", "/sections/maroc/feed.xml",
             "/sitemap.xml", "/news-sitemap.xml"]
    bad, total, stop = [], [0], threading.Event()

    def poll():
        conns = {}
        while not stop.is_set():
            for port in (pa, pb):
                for p in paths:
                    status = get(conns, port, p)[0]
                    total[0] += 1
                    if status not in (200, 304):
                        bad.append((port, p, status))

    t = threading.Thread(target=poll)
    pg.down()
    t.start()
    time.sleep(seconds)
    health = [json.loads(get({}, p, "/healthz")[2] or b"{}").get("status") for p in (pa, pb)]
    put = http.client.HTTPConnection("127.0.0.1", pa, timeout=30)
    put.request("PUT", "/api/articles/during-outage", body=json.dumps({
        "url": "https://www.actu.example.ma/x.html", "title": "Pendant", "published_at": "2026-11-29T10:00:00Z"}),
        headers={"Authorization": "Bearer " + TOKEN})
    put_status = put.getresponse().status
    pg.up()
    back = time.perf_counter()
    stop.set()
    t.join()
    psql, run = pg.psql(), "after%d" % int(time.time())
    ids = ["rep-%s-%d" % (run, i) for i in range(500)]
    psql.stdin.write("\n".join(insert_sql(aid, i, "Rabat", run) for i, aid in enumerate(ids)) + "\n")
    psql.stdin.close()
    psql.wait()
    written = time.perf_counter()
    month = "/sitemaps/%s.xml" % time.strftime("%Y-%m", time.gmtime())
    urls = [("https://www.actu.example.ma/%s.html" % aid).encode() for aid in ids]
    done, conns = {}, {}
    while len(done) < 2 and time.perf_counter() - back < 60:
        for port in (pa, pb):
            if port not in done:
                body = get(conns, port, month)[2]
                if all(u in body for u in urls):
                    done[port] = time.perf_counter() - back
        time.sleep(0.01)
    out["outage"] = {"seconds": seconds, "requests": total[0], "non_2xx_304": len(bad), "bad_examples": bad[:5],
                     "health_during": health, "put_during": put_status,
                     "psql_500_written_after_s": written - back,
                     "both_serve_500_after_restart_s": max(done.values()) if len(done) == 2 else None}
    suite.log("  %d feed requests during the outage, %d not 200/304; health %s; PUT %d" % (
        total[0], len(bad), health, put_status))
    suite.log("  both replicas serve the 500 new articles %.2f s after PostgreSQL came back" % (
        out["outage"]["both_serve_500_after_restart_s"] or -1))


def compare(pa, pb, feeds_dir):
    paths = []
    for root, _, files in os.walk(feeds_dir):
        for f in files:
            if not f.startswith("."):
                rel = os.path.relpath(os.path.join(root, f), feeds_dir)
                paths.append("/" + ("" if rel == "index.html" else rel))
    conns, differ = {}, []
    for p in sorted(paths):
        sa, ea, ba = get(conns, pa, p)
        sb, eb, bb = get(conns, pb, p)
        if (sa, ea, hashlib.sha256(ba).digest()) != (sb, eb, hashlib.sha256(bb).digest()):
            differ.append(p)
    suite.log("  compared %d documents: %d differ" % (len(paths), len(differ)))
    return {"documents": len(paths), "differ": len(differ), "examples": differ[:5]}


if __name__ == "__main__":
    main()
