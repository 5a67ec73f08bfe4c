"""Service settings as data: each has a name, a default, a type and a help text.

Every setting can be given in `instance/config.py`, in the environment as `TRIAGE_<NAME>`, or in
the mapping passed to `create_app` (tests), in that order of precedence (the mapping wins).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ENV_PREFIX = "TRIAGE_"


@dataclass(frozen=True)
class Setting:
    """One configuration key with its default and what it does."""

    name: str
    default: Any
    help: str
    type: type = str

    @property
    def env(self) -> str:
        return ENV_PREFIX + self.name

    def parse(self, raw: str) -> Any:
        """Convert an environment string to this setting's type; ValueError names the variable."""
        if self.type is bool:
            lowered = raw.strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no", "on", "off"}:
                raise ValueError(f"{self.env}={raw!r}: expected one of 1/0, true/false, yes/no, on/off")
            return lowered in {"1", "true", "yes", "on"}
        try:
            return self.type(raw)
        except ValueError as exc:
            raise ValueError(f"{self.env}={raw!r}: expected a {self.type.__name__}") from exc


SETTINGS: tuple[Setting, ...] = (
    Setting("SECRET_KEY", None, "Master secret: the sender-pseudonym key unless PSEUDONYM_SECRET is set, "
            "and the source of the session key unless SESSION_SECRET is set; default: generated once into "
            "instance/secret.key. Every instance sharing a database needs the same key."),
    Setting("PSEUDONYM_SECRET", None, "Key of the sender pseudonyms (HMAC); default: SECRET_KEY itself, so "
            "pseudonyms made before the keys were split stay the same."),
    Setting("SESSION_SECRET", None, "Key that signs the review screen's session cookies; default: derived "
            "from SECRET_KEY (HMAC, its own label). Changing it logs everyone out and keeps pseudonyms."),
    Setting("DATABASE_URL", None, "SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db; "
            "default: SQLite file instance/triage.sqlite3."),
    Setting("DB_AUTO_UPGRADE", True, "Apply pending schema migrations when the database is first reached.",
            bool),
    Setting("DB_RETRY_SECONDS", 2.0, "After a database failure, spool without trying the database for "
            "this long.", float),
    Setting("DB_POOL_SIZE", 5, "Connections kept open per worker (PostgreSQL).", int),
    Setting("MODELS_DIR", None, "Model root holding ACTIVE and version folders, or one model folder; "
            "default: $TRIAGE_MODELS_DIR or models/."),
    Setting("MODEL_RELOAD_SECONDS", 2.0, "How often (at most) a worker checks models/ACTIVE for a new "
            "model; 0 checks on every request.", float),
    Setting("PRELOAD_MODEL", True, "Load the model when the app starts (else on first use).", bool),
    Setting("RULES_PATH", None, "Rules YAML file; default: the bundled triage/data/rules.yaml. Re-read "
            "whenever models/ACTIVE changes; a file that fails to load keeps the previous rules serving."),
    Setting("COMMUNES_DIR", None, "Folder of commune YAML files; default: the bundled ones."),
    Setting("DEFAULT_COMMUNE", "dai_hong", "Commune used when a request names none."),
    Setting("MAX_CONTENT_LENGTH", 64 * 1024, "Largest request body in bytes (413 above).", int),
    Setting("BATCH_MAX", 100, "Most messages in one /v1/classify/batch request.", int),
    Setting("RATE_LIMIT", 600, "Requests allowed per token per RATE_WINDOW_SECONDS; 0 disables.", int),
    Setting("RATE_WINDOW_SECONDS", 60, "Length of the rate-limit sliding window.", int),
    Setting("REDIS_URL", None, "Redis URL for rate limits shared by several instances, "
            "e.g. redis://127.0.0.1:6379/0; default: in-memory, per worker."),
    Setting("TOKEN_CACHE_SECONDS", 5.0, "How long a worker trusts its cached token list "
            "(a revoked token stops working within this time).", float),
    Setting("CORRECTION_CACHE_SECONDS", 1.0, "How often a worker reads new officer corrections into its "
            "correction memory (a worker sees its own corrections at once).", float),
    Setting("SPOOL_DIR", None, "Folder of the durable spool used while the database is down; "
            "default: instance/spool."),
    Setting("LOG_LEVEL", "INFO", "Level of the service's structured log lines."),
    Setting("SESSION_COOKIE_SECURE", False, "Send the review screen's session cookie over HTTPS only "
            "(set to 1 behind TLS).", bool),
    Setting("PASSWORD_HASH", "scrypt", "werkzeug hash method for review-screen passwords "
            "(scrypt, or pbkdf2:sha256:600000).", str),
    Setting("LOGIN_MAX_FAILURES", 5, "Wrong passwords in a row from one address that lock a review-screen "
            "account for that address (other addresses can still log in).", int),
    Setting("LOGIN_LOCKOUT_MINUTES", 15, "How long an account stays locked for that address.", int),
    Setting("LOGIN_RATE_LIMIT", 10, "Login attempts (and password changes) allowed per client address per "
            "minute, refused with 429 before any password hashing; 0 disables.", int),
    Setting("PROXY_HOPS", 0, "Reverse proxies in front of the service whose X-Forwarded-For is trusted for "
            "the client address (1 behind one nginx); 0 uses the connection's address.", int),
    Setting("SESSION_IDLE_MINUTES", 30, "A review-screen session unused this long ends.", float),
    Setting("SESSION_LIFETIME_HOURS", 12, "A review-screen session ends this long after login, used or not.",
            float),
    Setting("UNDO_SECONDS", 120, "How long after a label an officer may still undo it (\"Hoàn tác\").", int),
    Setting("REVIEW_POLL_SECONDS", 10, "How often an open review page asks for new messages (at most 15 so "
            "a new urgent tip shows within 15 s).", float),
    Setting("ZALO_APP_ID", None, "Zalo app id (developers.zalo.me) of the OA connector; part of every webhook "
            "signature. Unset: the connector is off (no /zalo/webhook)."),
    Setting("ZALO_APP_SECRET", None, "Zalo app secret key, sent as header secret_key when refreshing OA tokens."),
    Setting("ZALO_API_BASE", "https://openapi.zalo.me", "Base URL of the Zalo OA API (replies, alerts)."),
    Setting("ZALO_OAUTH_BASE", "https://oauth.zaloapp.com", "Base URL of Zalo's OAuth server (token refresh)."),
    Setting("ZALO_ESCALATION_MINUTES", 10.0, "An urgent tip no officer or admin acknowledged (confirmed or "
            "corrected, not undone) within this long is sent to the chief too.", float),
    Setting("ZALO_EVENT_MAX_AGE_SECONDS", 3600, "Webhook events whose timestamp is older than this are replays: "
            "answered 200 and ignored.", int),
    Setting("ZALO_SENDER_RATE_LIMIT", 20, "Events stored per Zalo user per minute; more are answered 200 and "
            "dropped (logged), so one flood cannot starve the others; 0 disables.", int),
    Setting("ZALO_SENDER_POLL_SECONDS", 0.5, "How often each worker's outbox sender looks for due sends.", float),
    Setting("ZALO_GIVE_UP_HOURS", 24.0, "A send still failing this long after it was queued is marked failed "
            "(\"không gửi được\").", float),
    Setting("PUBLIC_URL", "http://127.0.0.1:8000", "Address officers open the service at; alert links start "
            "with it."),
    Setting("ALERT_WEBHOOK_URL", None, "Second alert channel: urgent tips are POSTed here as JSON, signed "
            "with ALERT_WEBHOOK_SECRET (header X-Triage-Signature: sha256=HMAC)."),
    Setting("ALERT_WEBHOOK_SECRET", None, "HMAC-SHA256 key of the outgoing alert webhook."),
)

BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def defaults() -> dict[str, Any]:
    """Every setting at its default value."""
    return {setting.name: setting.default for setting in SETTINGS}


def from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """The settings given as TRIAGE_* environment variables, parsed to their types."""
    return {s.name: s.parse(environ[s.env]) for s in SETTINGS if environ.get(s.env, "") != ""}
