"""The service's commands on the `triage` group: serve, tokens, db.

The console script points here so that `triage` (the library's CLI) gains these commands while
`triage/` itself never imports Flask.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from service.communes import Scope, check_communes, describe, load_directory, split_ids
from service.db import UNAVAILABLE_ERRORS, Database, DatabaseUnavailable
from service.tokens import ROLES, TokenError, create_token, list_tokens, revoke_token
from service.users import USER_ROLES, UserError, create_user, list_users, set_disabled, set_password
from service.zalo.cli import zalo
from triage.cli import main
from triage.engine import resolve_model_dir
from triage.errors import ModelError

GUNICORN_CONFIG = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"


def _database() -> Database:
    return _app().extensions["triage.db"]


def _app():
    from service import create_app  # noqa: PLC0415 - keeps `triage --help` fast

    return create_app({"PRELOAD_MODEL": False})


def _communes(app, values: tuple[str, ...]) -> Scope:
    """The communes given with --commune, checked against the commune configs (None: all)."""
    ids = split_ids(values)
    if not ids:
        return None
    try:
        return check_communes(ids, load_directory(app.config).communes)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="'--commune'") from None


COMMUNE_HELP = ("Commune id (of the commune YAML files) this {what} is limited to; repeat or give a comma "
                "list. Omitted: every commune ({who}).")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (each holds one engine; about one per core).")
def serve(host: str, port: int, workers: int) -> None:
    """Run the HTTP service under gunicorn (config: gunicorn.conf.py; settings: TRIAGE_* variables)."""
    try:
        click.echo(f"model: {resolve_model_dir()}", err=True)
    except ModelError as error:
        click.echo(f"warning: {error}\n/v1/classify answers 503 until a model is promoted.", err=True)
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    argv = [sys.executable, "-m", "gunicorn", "--config", str(GUNICORN_CONFIG), "--bind", bind,
            "--workers", str(workers), "service:create_app()"]
    os.execv(sys.executable, argv)


@main.group()
def tokens() -> None:
    """Create, revoke and list API tokens."""


@tokens.command("create")
@click.option("--name", required=True, help="Unique name, e.g. zalo-bot or officer-lan.")
@click.option("--role", required=True, type=click.Choice(ROLES),
              help="bot: classify; officer/analyst: correct labels and read messages; admin: all.")
@click.option("--commune", "communes", multiple=True,
              help=COMMUNE_HELP.format(what="token", who="a bot serving every commune, province level"))
def tokens_create(name: str, role: str, communes: tuple[str, ...]) -> None:
    """Create a token and print it once (only its hash is stored)."""
    app = _app()
    scope = _communes(app, communes)
    try:
        token = create_token(app.extensions["triage.db"], name, role, scope)
    except (TokenError, DatabaseUnavailable) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"token for {name} ({role}), communes: {describe(scope)}; store it now, it cannot be shown "
               "again:", err=True)
    click.echo(token)


@tokens.command("revoke")
@click.option("--name", required=True, help="Name of the token to revoke.")
def tokens_revoke(name: str) -> None:
    """Revoke a token (workers refuse it within TOKEN_CACHE_SECONDS)."""
    try:
        revoke_token(_database(), name)
    except (TokenError, DatabaseUnavailable) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"revoked {name}")


@tokens.command("list")
def tokens_list() -> None:
    """List tokens: name, role, creation time, status, communes (never the tokens)."""
    try:
        records = list_tokens(_database())
    except DatabaseUnavailable as error:
        raise click.ClickException(str(error)) from error
    if not records:
        click.echo("no tokens; create one with `triage tokens create --name NAME --role ROLE`")
    for record in records:
        status = "revoked" if record.revoked else "active"
        click.echo(f"{record.name:<24} {record.role:<8} {record.created_at:%Y-%m-%d %H:%M} {status:<8} "
                   f"{describe(record.communes)}")


@main.group()
def users() -> None:
    """Create, list, disable and enable review-screen accounts, and set their passwords."""


@users.command("add")
@click.argument("name")
@click.option("--role", required=True, type=click.Choice(USER_ROLES),
              help="officer: sees full text; analyst: phones, ID and account numbers, plates and URL query "
                   "strings masked (service/redaction.py); admin: full text, also manages accounts.")
@click.option("--commune", "communes", multiple=True,
              help=COMMUNE_HELP.format(what="account", who="province-level admins and analysts"))
def users_add(name: str, role: str, communes: tuple[str, ...]) -> None:
    """Create an account; the password is read from stdin when piped, else prompted twice."""
    app = _app()
    scope = _communes(app, communes)
    password = _read_password()
    try:
        create_user(app.extensions["triage.db"], name, role, password, method=app.config["PASSWORD_HASH"],
                    communes=scope)
    except (UserError, DatabaseUnavailable) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"created {name} ({role}), communes: {describe(scope)}")


@users.command("passwd")
@click.argument("name")
def users_passwd(name: str) -> None:
    """Set an account's password (stdin when piped, else prompted twice); its open sessions end at once."""
    password = _read_password()
    app = _app()
    try:
        set_password(app.extensions["triage.db"], name, password, method=app.config["PASSWORD_HASH"])
    except (UserError, DatabaseUnavailable) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"new password set for {name}; its sessions have ended")


def _read_password() -> str:
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=True)
    return sys.stdin.readline().rstrip("\r\n")


@users.command("list")
def users_list() -> None:
    """List accounts: name, role, creation time, status, communes (never passwords)."""
    try:
        accounts = list_users(_database())
    except DatabaseUnavailable as error:
        raise click.ClickException(str(error)) from error
    if not accounts:
        click.echo("no users; create one with `triage users add NAME --role officer`")
    for user in accounts:
        status = "disabled" if user.disabled else "active"
        click.echo(f"{user.name:<24} {user.role:<8} {user.created_at:%Y-%m-%d %H:%M} {status:<8} "
                   f"{describe(user.communes)}")


@users.command("disable")
@click.argument("name")
def users_disable(name: str) -> None:
    """Disable an account (its open sessions stop working at once)."""
    try:
        set_disabled(_database(), name, True)
    except (UserError, DatabaseUnavailable) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"disabled {name}")


@users.command("enable")
@click.argument("name")
def users_enable(name: str) -> None:
    """Enable a disabled account again."""
    try:
        set_disabled(_database(), name, False)
    except (UserError, DatabaseUnavailable) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"enabled {name}")


@main.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply pending schema migrations (TRIAGE_DATABASE_URL, default SQLite in instance/)."""
    database = _database()
    try:
        applied = database.upgrade()
    except UNAVAILABLE_ERRORS as error:
        cause = getattr(error, "orig", None) or error
        raise click.ClickException(f"cannot reach the database: {type(cause).__name__}: {cause}") from error
    for migration in applied:
        click.echo(f"applied {migration.version}: {migration.name}")
    click.echo(f"{database.url.render_as_string(hide_password=True)}: schema up to date")


main.add_command(zalo)

__all__ = ["main"]


@main.command("export-corrections")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="CSV to write (e.g. training_data/corrections.csv).")
@click.option("--database-url", default=None,
              help="SQLAlchemy URL (default: TRIAGE_DATABASE_URL, else SQLite in instance/).")
@click.option("--commune", "communes", multiple=True,
              help="Only messages of this commune id; repeat or give a comma list. Omitted: every commune.")
def export_corrections(out: Path, database_url: str | None, communes: tuple[str, ...]) -> None:
    """Write the latest correction of each message as a training CSV (text redacted as analysts see it).

    Columns: text,label,urgent,procedure_id,source,corrected_by_role,corrected_at,predicted_label.
    Train on it with `triage train --include-corrections FILE`.
    """
    from service.exports import corrections_frame  # noqa: PLC0415 - pandas is slow to import

    app = _app()
    scope = _communes(app, communes)
    database = Database(database_url) if database_url else app.extensions["triage.db"]
    try:
        frame = corrections_frame(database, scope)
    except DatabaseUnavailable as error:
        raise click.ClickException(f"cannot reach the database: {error}") from error
    finally:
        database.dispose()
    out.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(out, index=False)
    changed = int((frame["label"] != frame["predicted_label"]).sum())
    click.echo(f"wrote {out}: {len(frame)} corrected messages ({changed} with a label other than the model's)")
