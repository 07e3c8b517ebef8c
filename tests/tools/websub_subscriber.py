#!/usr/bin/env python3
"""An independent WebSub subscriber against syndic's built-in hub: the
subscriber of Flask-WebSub (PyPI package `flask-websub`), on 127.0.0.1.

It discovers the hub and the topic from the feed's `Link` headers (Flask-WebSub's
`discover`), subscribes (its own form, its own verification endpoint), PUTs an
article through syndic's ingest API, and waits for the delivery through its
listener. Prints one JSON line: {"hub", "topic", "verified", "body"}; exits 1
if a step fails.

The hub's advertised URL is the site's public URL (an https:// name that does
not resolve here), so the request goes to the same path on the loopback server
(as a reverse proxy would route it): tests reach 127.0.0.1 only. Without https,
Flask-WebSub refuses to send a secret (a spec SHOULD), so this subscription has
none; signatures are checked by the Rust tests.

  websub_subscriber.py --base http://127.0.0.1:PORT --public https://feeds.example.ma/ \
      --topic tags/x/feed.xml --token T --record '{"id": ...}'
"""
import argparse, json, os, queue, sys, tempfile, threading, time, urllib.request
from urllib.parse import urlsplit

from flask import Flask
from flask_websub.subscriber import (Subscriber, SQLite3SubscriberStorage,
                                     SQLite3TempSubscriberStorage, discover)
from werkzeug.serving import make_server


def loopback(url):
    if urlsplit(url).hostname != "127.0.0.1":
        sys.exit("tests reach 127.0.0.1 only: " + url)
    return url


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--public", required=True)
    ap.add_argument("--topic", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--record", required=True)
    args = ap.parse_args()
    base = loopback(args.base.rstrip("/"))
    folder = tempfile.mkdtemp(prefix="websub-sub-")
    app = Flask(__name__)
    sub = Subscriber(SQLite3SubscriberStorage(os.path.join(folder, "s.db")),
                     SQLite3TempSubscriberStorage(os.path.join(folder, "t.db")))
    app.register_blueprint(sub.build_blueprint(url_prefix="/callbacks"))
    events = queue.Queue()
    sub.add_success_handler(lambda topic, cb, mode: events.put(("ok", mode)))
    sub.add_error_handler(lambda topic, cb, reason: events.put(("error", reason)))
    sub.add_listener(lambda topic, cb, body: events.put(("body", body)))
    server = make_server("127.0.0.1", 0, app, threaded=True)
    app.config["SERVER_NAME"] = "127.0.0.1:%d" % server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()

    found = discover(base + "/" + args.topic)
    hub, topic = found["hub_url"], found["topic_url"]
    if not hub.startswith(args.public):
        sys.exit("the hub advertised is not the site's: " + hub)
    with app.app_context():
        sub.subscribe(topic_url=topic, hub_url=loopback(base + "/" + hub[len(args.public):]),
                      lease_seconds=600)
    kind, what = events.get(timeout=10)
    if (kind, what) != ("ok", "subscribe"):
        sys.exit("not verified: %s %s" % (kind, what))
    # The handler runs inside the verification request: the hub stores the
    # subscription once that request has echoed the challenge.
    time.sleep(0.5)
    record = json.loads(args.record)
    req = urllib.request.Request(base + "/api/articles/" + record["id"], method="PUT",
                                 data=args.record.encode(),
                                 headers={"Authorization": "Bearer " + args.token,
                                          "Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()
    try:
        kind, body = events.get(timeout=10)
    except queue.Empty:
        sys.exit("no delivery within 10 s of the PUT")
    if kind != "body":
        sys.exit("no delivery: %s %s" % (kind, body))
    print(json.dumps({"hub": hub, "topic": topic, "verified": True,
                      "body": body.decode("utf-8")}))
    server.shutdown()


if __name__ == "__main__":
    main()
