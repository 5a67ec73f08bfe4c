"""The smallest service around the engine, for bench/http_bench.py's floor row: gunicorn + Flask +
`Triage.classify`, without authentication, storage, correction memory, metrics or request logs.

Run: gunicorn -w 2 'bench.bare_app:create_app()'. Not for production: it checks nothing.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

from triage import Triage


def create_app() -> Flask:
    app = Flask(__name__)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    engine = Triage.load()

    @app.post("/v1/classify")
    def classify() -> Response:
        return jsonify(engine.classify(request.get_json()["text"]).to_dict())

    @app.get("/healthz")
    def healthz() -> Response:
        return jsonify({"status": "ok"})

    return app
