#!/usr/bin/env python3
"""An independent WebSub hub for the tests: Flask-WebSub's hub (PyPI package
`flask-websub`, with Celery in eager mode so that no broker is needed), on
127.0.0.1 at a free port, plus a subscriber callback that records what the hub
delivers. syndic pings the hub; the hub fetches the topic from syndic and
delivers it to the callback.

Prints the port on the first line of stdout, then serves until stdin closes.

Routes:
  POST /hub              Flask-WebSub's hub endpoint (PUBLISH_SUPPORTED)
  GET  /callback         answers the hub's intent verification (echoes hub.challenge)
  POST /callback         records a delivery (topic from the Link header, body)
  GET  /received         the deliveries so far, as JSON
  GET  /pings            the publish requests received, as JSON lists of form pairs

Every URL it is given must be on 127.0.0.1 (tests reach loopback only): the
script refuses any other before the hub can request it.
"""
import json
import os
import sys
import tempfile
import threading
from urllib.parse import urlsplit

from celery import Celery
from flask import Flask, abort, request
from flask_websub.hub import Hub, SQLite3HubStorage
from werkzeug.serving import make_server


def loopback_only(url):
    if urlsplit(url).hostname not in ("127.0.0.1",):
        abort(400, "tests reach 127.0.0.1 only: " + url)


def main():
    folder = tempfile.mkdtemp(prefix="websub-hub-")
    app = Flask(__name__)
    app.config["PUBLISH_SUPPORTED"] = True
    app.config["SERVER_NAME"] = None
    celery = Celery("hub", broker="memory://", backend="cache+memory://")
    celery.conf.task_always_eager = True
    celery.conf.task_eager_propagates = False
    hub = Hub(SQLite3HubStorage(os.path.join(folder, "hub.db")), celery,
              PUBLISH_SUPPORTED=True, REQUEST_TIMEOUT=5, MAX_ATTEMPTS=1)
    app.register_blueprint(hub.build_blueprint(url_prefix="/hub"))
    received, pings = [], []

    @app.before_request
    def guard():
        if request.path == "/hub" and request.method == "POST":
            pings.append(list(request.form.items(multi=True)))
            for key in ("hub.topic", "hub.url", "hub.callback"):
                for url in request.form.getlist(key):
                    loopback_only(url)

    @app.route("/callback", methods=["GET", "POST"])
    def callback():
        if request.method == "GET":
            return request.args.get("hub.challenge", ""), 200
        received.append({
            "link": request.headers.get("Link", ""),
            "content_type": request.headers.get("Content-Type", ""),
            "body": request.get_data(as_text=True),
        })
        return "", 204

    @app.route("/received")
    def get_received():
        return json.dumps(received), 200, {"Content-Type": "application/json"}

    @app.route("/pings")
    def get_pings():
        return json.dumps(pings), 200, {"Content-Type": "application/json"}

    server = make_server("127.0.0.1", 0, app, threaded=True)
    print(server.server_port, flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # the test closes stdin (or dies) to stop the hub
    server.shutdown()


if __name__ == "__main__":
    main()
