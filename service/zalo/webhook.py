"""POST /zalo/webhook: check the OA and the signature, then record the event; 200 at once.

Nothing is stored or sent before the signature checks out. Sending happens later, in the outbox
sender, so the answer never waits on Zalo.
"""

from __future__ import annotations

import json
import logging
import time

from flask import Blueprint, Response, current_app, jsonify, request

from service.classifier import get_classifier
from service.errors import ApiError
from service.zalo.events import EventError, oa_and_timestamp, parse
from service.zalo.signature import verify

bp = Blueprint("zalo", __name__)
log = logging.getLogger("triage.zalo")


@bp.post("/zalo/webhook")
def webhook() -> Response:
    """Receive one Zalo OA event."""
    zalo = current_app.extensions["triage.zalo"]
    app_id = current_app.config["ZALO_APP_ID"]
    raw = request.get_data(cache=False)
    try:
        body = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        raise ApiError(400, "Body is not valid JSON.", "invalid_json") from None
    if not isinstance(body, dict):
        raise ApiError(400, "Body must be a JSON object.", "invalid_json")
    try:
        oa_id, timestamp = oa_and_timestamp(body)
    except EventError as error:
        raise ApiError(400, str(error), "invalid_field") from None
    account = zalo.accounts.find(oa_id)
    if account is None:
        raise ApiError(403, "Unknown Official Account: link it with `triage zalo link`.")
    if not verify(request.headers.get("X-ZEvent-Signature"), app_id, raw, timestamp, account.secret_key):
        raise ApiError(401, "Missing or wrong X-ZEvent-Signature.")
    age = time.time() - int(timestamp) / 1000
    if age > current_app.config["ZALO_EVENT_MAX_AGE_SECONDS"]:
        log.info("zalo: event of OA %s ignored: %.0f s old (replay?)", oa_id, age)
        return jsonify({"status": "too_old"})
    try:
        event = parse(body)
        done = zalo.handler.handle(get_classifier().engine(), event, account)
    except EventError as error:
        raise ApiError(400, str(error), "invalid_field") from None
    log.info("zalo: event %s of OA %s: %s", event.name if event.name.isidentifier() else "?", oa_id, done)
    return jsonify({"status": done})
