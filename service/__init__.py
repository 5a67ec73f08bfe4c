"""HTTP service for the Zalo bot backend: thin Flask glue over the `triage` library.

Run it with `triage serve` (gunicorn) or `gunicorn 'service:create_app()'`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from service import (
    api,
    auth,
    classifier,
    db,
    errors,
    health,
    keys,
    memory,
    metrics,
    pages,
    payload,
    ratelimit,
    request_log,
    settings,
    store,
    zalo,
)
from service.pseudonym import load_or_create_secret


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app. Settings: defaults, then instance/config.py, then TRIAGE_* variables, then `config`.

    Besides the settings of `service.settings`, `config` may hold INSTANCE_PATH (else
    $TRIAGE_INSTANCE_PATH, else ./instance beside the package) and TRIAGE_ENGINE, an already
    loaded `triage.Triage` (tests use it to share one engine between apps).
    """
    config = dict(config or {})
    instance_path = config.pop("INSTANCE_PATH", None) or os.environ.get("TRIAGE_INSTANCE_PATH") or None
    app = Flask(__name__, instance_path=os.path.abspath(instance_path) if instance_path else None,
                instance_relative_config=True, static_folder=None,
                template_folder="pages/templates")
    app.config.from_mapping(settings.defaults())
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_mapping(settings.from_environ(os.environ))
    app.config.from_mapping(config)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = load_or_create_secret(app.instance_path)
    app.extensions["triage.keys"] = keys.resolve(app.config)
    app.json.ensure_ascii = False  # Vietnamese replies stay readable and smaller
    app.json.sort_keys = False
    app.url_map.merge_slashes = False  # "/v1//classify" is a 404, not a redirect

    errors.init_app(app)
    request_log.init_app(app)
    payload.init_app(app)
    metrics.init_app(app)
    db.init_app(app)
    memory.init_app(app)
    store.init_app(app)
    ratelimit.init_app(app)
    auth.init_app(app)
    classifier.init_app(app)
    pages.init_app(app)
    zalo.init_app(app)

    app.register_blueprint(health.bp)
    app.register_blueprint(api.bp)
    return app
