"""The outbox sender: a background thread in each worker of `triage serve` that sends due rows.

Zalo texts (replies, alerts, escalations) go to the OA API with the OA's access token, refreshed
before expiry and on error -216; alert webhooks go to ALERT_WEBHOOK_URL, signed. Network errors,
HTTP 5xx and 429 are retried with backoff until ZALO_GIVE_UP_HOURS; a refusal by Zalo (another
error code) fails the row at once. An escalation whose tip an officer or admin acknowledged (and did
not undo: service/worklist.py) is cancelled.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from service.db import Database, DatabaseUnavailable
from service.metrics import Metrics
from service.worklist import is_acknowledged
from service.zalo import oa_api, outbox
from service.zalo.accounts import AccountError, Accounts
from service.zalo.signature import sign_alert
from service.zalo.vault import Vault, VaultError

log = logging.getLogger("triage.zalo")
BATCH = 20


@dataclass(frozen=True)
class SenderSettings:
    """What sending needs from the app's settings."""

    api_base: str
    give_up: timedelta
    poll_seconds: float
    webhook_url: str | None
    webhook_secret: str | None


class Sender:
    """Claims due outbox rows and sends them; `start` runs it in a daemon thread."""

    def __init__(self, db: Database, accounts: Accounts, vault: Vault, metrics: Metrics,
                 settings: SenderSettings) -> None:
        self.db = db
        self.accounts = accounts
        self.vault = vault
        self.metrics = metrics
        self.settings = settings
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        """Send every row due now (in batches); how many rows were handled."""
        handled = 0
        while True:
            now = datetime.now(UTC)
            with self.db.transaction() as conn:
                items = outbox.claim(conn, BATCH, now)
            for item in items:
                self._handle(item)
            handled += len(items)
            if len(items) < BATCH:
                break
        with self.db.transaction() as conn:
            self.metrics.zalo_outbox_depth.set(outbox.depth(conn))
        return handled

    def start(self) -> None:
        """Run in a daemon thread until `stop`."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="zalo-sender", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Ask the thread to end and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)

    def _loop(self) -> None:
        while not self._stop.wait(self.settings.poll_seconds):
            try:
                self.run_once()
            except (DatabaseUnavailable, SQLAlchemyError) as error:  # the database comes back: keep going
                log.warning("zalo sender: database unavailable (%s); retrying", type(error).__name__)

    def _handle(self, item: outbox.Item) -> None:
        if item.kind == "escalation" and item.message_id and self._acknowledged(item.message_id):
            self._finish(item, "cancelled", "acknowledged")
            return
        outcome = self._send(item)
        if outcome.ok:
            self._finish(item, "sent")
            return
        now = datetime.now(UTC)
        if outcome.retry and now - item.created_at < self.settings.give_up:
            with self.db.transaction() as conn:
                outbox.retry_later(conn, item, outcome.detail, now)
            self.metrics.zalo_sends.labels(item.kind, "retry").inc()
            return
        log.warning("zalo: %s %d not sent, giving up: %s", item.kind, item.id, outcome.detail)
        self._finish(item, "failed", outcome.detail)

    def _finish(self, item: outbox.Item, status: str, error: str | None = None) -> None:
        with self.db.transaction() as conn:
            outbox.finish(conn, item.id, status, error)
        self.metrics.zalo_sends.labels(item.kind, status).inc()

    def _send(self, item: outbox.Item) -> oa_api.Outcome:
        if item.kind == "webhook":
            return self._send_webhook(item)
        try:
            user_id = self.vault.decrypt(item.recipient or "")
            token, version = self.accounts.access_token(item.oa_id)
            outcome = oa_api.send_text(self.settings.api_base, token, user_id, item.text)
            if outcome.error_code == oa_api.INVALID_ACCESS_TOKEN:
                token, _ = self.accounts.refresh(item.oa_id, version)
                outcome = oa_api.send_text(self.settings.api_base, token, user_id, item.text)
        except VaultError as error:
            return oa_api.Outcome(False, False, None, str(error)[:200])
        except (AccountError, oa_api.RefreshError) as error:  # tokens may be set or Zalo back later
            return oa_api.Outcome(False, True, None, str(error)[:200])
        return outcome

    def _send_webhook(self, item: outbox.Item) -> oa_api.Outcome:
        if not self.settings.webhook_url:
            return oa_api.Outcome(False, False, None, "ALERT_WEBHOOK_URL is not set")
        body = item.text.encode("utf-8")
        headers = {"Content-Type": "application/json",
                   "X-Triage-Signature": sign_alert(self.settings.webhook_secret or "", body)}
        return oa_api.call(self.settings.webhook_url, body, headers)

    def _acknowledged(self, message_id: str) -> bool:
        """Whether an officer or admin acknowledged the tip (an acknowledgement that stands)."""
        with self.db.transaction() as conn:
            return is_acknowledged(conn, message_id)
