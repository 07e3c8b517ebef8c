#!/usr/bin/env python3
"""PUT-to-delivery latency of syndic's built-in WebSub hub, on loopback.

Starts a release `syndic serve` (SQLite store, the demo seed, the hub on with
callbacks allowed on 127.0.0.1/32), a subscriber HTTP server on 127.0.0.1 with
SUBS callback paths, subscribes each (with a secret) to one tag feed, then PUTs
N new articles with that tag, one at a time. For every (article, subscriber) it
records the time from the PUT returning to the signed diff holding that article
arriving at the subscriber (signature checked, each item once), and prints the
median, 99th percentile and maximum in ms. Standard library only.

  cargo build --release && python3 bench/websub_latency.py --n 200 --subs 100 --gap 0.3
"""
import argparse, hashlib, hmac, http.client, http.server, json, os, re, socketserver
import statistics, subprocess, sys, tempfile, threading, time, urllib.parse

SECRET = b"bench-secret"
PUBLIC = "https://feeds.example.ma/"
TAG = "Mesure WebSub"
TOPIC = "tags/mesure-websub/feed.xml"
arrivals = {}          # (path, guid) -> perf_counter at arrival
bad = []
lock = threading.Lock()


class Subscriber(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection, closed after the answer

    def log_message(self, *a):
        pass

    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        body = q.get("hub.challenge", [""])[0].encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        at = time.perf_counter()
        sig = "sha256=" + hmac.new(SECRET, body, hashlib.sha256).hexdigest()
        path = urllib.parse.urlparse(self.path).path
        with lock:
            if self.headers.get("X-Hub-Signature") != sig:
                bad.append(("signature", path))
            for guid in re.findall(rb"<guid[^>]*>([^<]+)</guid>", body):
                key = (path, guid.decode())
                if key in arrivals:
                    bad.append(("twice", key))
                arrivals[key] = at
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()


def config(dir, port):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return f"""[site]
title = "Bench"
description = "Bench"
language = "fr"
home_url = "https://www.example.ma/"
public_url = "{PUBLIC}"
publication_name = "Bench"
guid_authority = "example.ma,2026"
[store]
url = "sqlite:{dir}/db"
[output]
dir = "{dir}/feeds"
[server]
listen = "127.0.0.1:{port}"
api_token = "bench-token"
max_connections_per_address = 1000
[demo]
seed_file = "{root}/samples/articles.jsonl"
[websub]
builtin_hub = true
allow_callbacks = ["127.0.0.1/32"]
max_subscriptions_per_host = 100000
"""


def call(port, method, path, body=b"", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--subs", type=int, default=100)
    ap.add_argument("--bin", default="target/release/syndic")
    ap.add_argument("--gap", type=float, default=0.3, help="seconds between PUTs")
    args = ap.parse_args()
    # socketserver listens with a backlog of 5: the hub's parallel deliveries
    # would wait on SYN retransmits (1 s, 3 s…), measuring the stub, not the hub.
    socketserver.ThreadingTCPServer.request_queue_size = 1024
    sub = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Subscriber)
    sub.daemon_threads = True
    threading.Thread(target=sub.serve_forever, daemon=True).start()
    sport = sub.server_address[1]
    with tempfile.TemporaryDirectory() as dir:
        s = socketserver.TCPServer(("127.0.0.1", 0), None); port = s.server_address[1]; s.server_close()
        with open(f"{dir}/config.toml", "w") as f:
            f.write(config(dir, port))
        log = open(f"{dir}/serve.log", "w")
        proc = subprocess.Popen([args.bin, "--config", f"{dir}/config.toml", "serve"], stderr=log)
        try:
            run(args, port, sport, proc, f"{dir}/serve.log")
        finally:
            proc.terminate()
            proc.wait(10)
            sub.shutdown()


def put(port, aid, published):
    body = json.dumps({"url": f"https://www.example.ma/{aid}.html", "title": f"Mesure {aid}",
                       "summary": "Mesure.", "content_html": "<p>Mesure.</p>", "section": "Maroc",
                       "tags": [TAG], "authors": ["Bench"], "published_at": published})
    status, data = call(port, "PUT", "/api/articles/" + aid, body.encode(),
                        {"Authorization": "Bearer bench-token", "Content-Type": "application/json"})
    if status not in (200, 201):
        sys.exit(f"PUT {aid}: {status} {data!r}")


def run(args, port, sport, proc, log):
    deadline = time.time() + 300
    while True:
        try:
            if call(port, "GET", "/healthz")[0] == 200:
                break
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                sys.exit("syndic did not start:\n" + open(log).read()[-2000:])
            time.sleep(0.2)
    now = lambda: time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))
    put(port, "bench-seed", now())   # makes the tag feed exist
    form = lambda i: urllib.parse.urlencode({
        "hub.mode": "subscribe", "hub.topic": PUBLIC + TOPIC, "hub.secret": SECRET.decode(),
        "hub.callback": f"http://127.0.0.1:{sport}/cb/{i}"}).encode()
    for i in range(args.subs):
        st, data = call(port, "POST", "/websub", form(i),
                        {"Content-Type": "application/x-www-form-urlencoded"})
        assert st == 202, (st, data)
    while True:   # every subscription verified and stored
        _, m = call(port, "GET", "/metrics")
        got = re.search(rb"syndic_websub_hub_verified_total (\d+)", m)
        if got and int(got.group(1)) >= args.subs:
            break
        time.sleep(0.05)
    time.sleep(0.5)
    returned = {}
    for i in range(args.n):
        aid = "bench-%017d" % (10**17 - time.time_ns() // 1000)
        put(port, aid, now())
        returned[aid] = time.perf_counter()
        time.sleep(args.gap)
    deadline = time.time() + 30
    want = args.n * args.subs
    while time.time() < deadline:
        with lock:
            done = sum(1 for (_, g) in arrivals if g.rsplit("/", 1)[-1] in returned)
        if done >= want:
            break
        time.sleep(0.1)
    lat = []
    for (path, guid), at in arrivals.items():
        aid = guid.rsplit("/", 1)[-1]
        if aid in returned:
            lat.append((at - returned[aid]) * 1000)
    lat.sort()
    p99 = lat[min(len(lat) - 1, round(0.99 * (len(lat) - 1)))]
    print(json.dumps({"articles": args.n, "subscribers": args.subs, "deliveries": len(lat),
                      "expected": want, "problems": bad[:5], "median_ms": round(statistics.median(lat), 1),
                      "p99_ms": round(p99, 1), "max_ms": round(lat[-1], 1)}))


if __name__ == "__main__":
    main()
