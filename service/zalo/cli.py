"""`triage zalo ...`: link an OA, set its tokens, run the fake OA API, simulate a citizen."""

from __future__ import annotations

import json
import secrets
import sys
import time
import urllib.parse
import urllib.request

import click

from service.db import DatabaseUnavailable
from service.zalo.accounts import AccountError
from service.zalo.signature import sign


def _app():
    from service import create_app  # noqa: PLC0415 - keeps `triage --help` fast

    return create_app({"PRELOAD_MODEL": False})


def _stdin_line(what: str) -> str:
    line = sys.stdin.readline().strip()
    if not line:
        raise click.ClickException(f"expected {what} on stdin (one line)")
    return line


def _known_commune(app, commune: str) -> None:
    from service.communes import load_directory  # noqa: PLC0415

    known = load_directory(app.config).communes
    if commune not in known:
        raise click.BadParameter(f"unknown commune {commune!r}; known: {sorted(known)}", param_hint="'--commune'")


@click.group()
def zalo() -> None:
    """Zalo Official Account connector: link OAs, set tokens, try it without Zalo."""


@zalo.command("link")
@click.option("--commune", required=True, help="Commune id (of the commune YAML files).")
@click.option("--oa-id", required=True, help="The OA's id (Zalo OA admin page).")
def link(commune: str, oa_id: str) -> None:
    """Link an OA to a commune; reads the OA secret key (webhook signatures) from stdin."""
    app = _app()
    _known_commune(app, commune)
    secret_key = _stdin_line("the OA secret key")
    try:
        app.extensions["triage.zalo"].accounts.link(commune, oa_id, secret_key)
    except (AccountError, DatabaseUnavailable) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"OA {oa_id} linked to {commune}; webhook URL: {app.config['PUBLIC_URL'].rstrip('/')}/zalo/webhook")


@zalo.command("tokens")
@click.option("--commune", required=True, help="Commune id whose OA the tokens belong to.")
@click.option("--expires-in", default=90_000, show_default=True, type=click.IntRange(60),
              help="Seconds the access token is still valid (Zalo: 25 hours when issued).")
def tokens(commune: str, expires_in: int) -> None:
    """Store the OA's access token and refresh token, read from stdin (two lines)."""
    access_token = _stdin_line("the access token")
    refresh_token = _stdin_line("the refresh token (second line)")
    app = _app()
    try:
        oa_id = app.extensions["triage.zalo"].accounts.set_tokens(commune, access_token, refresh_token, expires_in)
    except (AccountError, DatabaseUnavailable) as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"tokens of OA {oa_id} ({commune}) stored, encrypted; they are refreshed automatically")


@zalo.command("fake-api")
@click.option("--port", default=8090, show_default=True, type=click.IntRange(1, 65535))
def fake_api(port: int) -> None:
    """Run a loopback stand-in for the Zalo OA API that prints what the bot sends (Ctrl-C ends it).

    Start the service with TRIAGE_ZALO_API_BASE and TRIAGE_ZALO_OAUTH_BASE set to its address.
    """
    from service.zalo.fakeapi import FakeOA  # noqa: PLC0415

    fake = FakeOA(port, strict=False, echo=lambda line: click.echo(line)).start()
    click.echo(f"fake Zalo OA API on {fake.url}: export TRIAGE_ZALO_API_BASE={fake.url} "
               f"TRIAGE_ZALO_OAUTH_BASE={fake.url}", err=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        fake.stop()


@zalo.command("simulate")
@click.argument("text")
@click.option("--user", default="demo-user-1", show_default=True, help="The citizen's Zalo user id.")
@click.option("--location", default=None, metavar="LAT,LON", help="Also send a location pin after the text.")
@click.option("--commune", default=None, help="Commune whose OA receives it (default: DEFAULT_COMMUNE).")
@click.option("--url", default="http://127.0.0.1:8000", show_default=True, help="The running service.")
def simulate(text: str, user: str, location: str | None, commune: str | None, url: str) -> None:
    """Post a correctly signed user_send_text event (and a location) to a running service."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        raise click.BadParameter("expected an http(s) address, e.g. http://127.0.0.1:8000", param_hint="'--url'")
    app = _app()
    app_id = app.config["ZALO_APP_ID"]
    if not app_id:
        raise click.ClickException("set TRIAGE_ZALO_APP_ID (the same as the service's)")
    commune = commune or app.config["DEFAULT_COMMUNE"]
    account = app.extensions["triage.zalo"].accounts.by_commune(commune)
    if account is None:
        raise click.ClickException(f"commune {commune!r} has no linked OA; run `triage zalo link` first")
    events = [{"event_name": "user_send_text", "message": {"text": text, "msg_id": secrets.token_hex(8)}}]
    if location:
        try:
            latitude, longitude = (float(part) for part in location.split(","))
        except ValueError:
            raise click.BadParameter("expected LAT,LON, e.g. 15.85,108.05", param_hint="'--location'") from None
        events.append({"event_name": "user_send_location", "message": {"msg_id": secrets.token_hex(8), "attachments": [
            {"type": "location", "payload": {"coordinates": {"latitude": latitude, "longitude": longitude}}}]}})
    for event in events:
        timestamp = str(int(time.time() * 1000))
        body = json.dumps({"app_id": app_id, "sender": {"id": user}, "recipient": {"id": account.oa_id},
                           "timestamp": timestamp, **event}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(f"{url.rstrip('/')}/zalo/webhook", data=body, method="POST", headers={
            "Content-Type": "application/json",
            "X-ZEvent-Signature": sign(app_id, body, timestamp, account.secret_key)})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310  # nosec B310
                click.echo(f"{event['event_name']}: HTTP {response.status} {response.read().decode('utf-8')}")
        except OSError as error:
            raise click.ClickException(f"cannot post to {url}: {error}") from error
