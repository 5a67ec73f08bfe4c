"""The Zalo OA connector: the webhook, the outbox and its sender, tokens, alerts and commands.

`init_app` wires it into the app; the sender thread starts in each gunicorn worker
(gunicorn.conf.py, post_worker_init) or when `start_sender` is called.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask

from service.zalo import webhook
from service.zalo.accounts import Accounts
from service.zalo.alerts import AlertSettings
from service.zalo.config import load_zalo_configs
from service.zalo.events import Handler
from service.zalo.sender import Sender, SenderSettings
from service.zalo.vault import Vault


@dataclass(frozen=True)
class Zalo:
    """The connector's parts of one app."""

    accounts: Accounts
    handler: Handler
    sender: Sender


def init_app(app: Flask) -> None:
    """Build the connector; register the webhook when ZALO_APP_ID is set (the sender thread starts elsewhere)."""
    config = app.config
    db, metrics = app.extensions["triage.db"], app.extensions["triage.metrics"]
    vault = Vault(config["SECRET_KEY"])
    accounts = Accounts(db, vault, metrics, app_id=config["ZALO_APP_ID"], app_secret=config["ZALO_APP_SECRET"],
                        oauth_base=config["ZALO_OAUTH_BASE"])
    alert_settings = AlertSettings(public_url=config["PUBLIC_URL"],
                                   escalation_minutes=config["ZALO_ESCALATION_MINUTES"],
                                   webhook_url=config["ALERT_WEBHOOK_URL"])
    handler = Handler(db=db, store=app.extensions["triage.store"], memory=app.extensions["triage.memory"],
                      metrics=metrics, vault=vault, pseudonym_key=app.extensions["triage.keys"].pseudonym,
                      officers=load_zalo_configs(Path(config["COMMUNES_DIR"]) if config["COMMUNES_DIR"] else None),
                      alert_settings=alert_settings, sender_rate_limit=config["ZALO_SENDER_RATE_LIMIT"])
    sender = Sender(db, accounts, vault, metrics, SenderSettings(
        api_base=config["ZALO_API_BASE"], give_up=timedelta(hours=config["ZALO_GIVE_UP_HOURS"]),
        poll_seconds=config["ZALO_SENDER_POLL_SECONDS"], webhook_url=config["ALERT_WEBHOOK_URL"],
        webhook_secret=config["ALERT_WEBHOOK_SECRET"]))
    app.extensions["triage.zalo"] = Zalo(accounts, handler, sender)
    if config["ZALO_APP_ID"]:  # without an app id no signature can be checked: no endpoint
        app.register_blueprint(webhook.bp)


def start_sender(app: Flask) -> None:
    """Start this process's outbox sender thread (once per worker, after the fork)."""
    app.extensions["triage.zalo"].sender.start()
