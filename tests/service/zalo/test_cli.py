"""`triage zalo link` and `triage zalo tokens`: secrets from stdin, encrypted at rest, never echoed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, select

from service.cli import main
from service.schema import zalo_accounts


@pytest.fixture
def zalo_cli(tmp_path, database_url):
    env = {"TRIAGE_DATABASE_URL": database_url, "TRIAGE_INSTANCE_PATH": str(tmp_path / "instance"),
           "TRIAGE_SECRET_KEY": "cli-master"}

    def invoke(*args: str, stdin: str = ""):
        return CliRunner().invoke(main, list(args), env=env, input=stdin)

    return invoke


def _stored(database_url) -> dict:
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(select(zalo_accounts)).mappings().one())
    finally:
        engine.dispose()


def test_link_and_tokens_store_encrypted_secrets(zalo_cli, database_url):
    linked = zalo_cli("zalo", "link", "--commune", "dai_hong", "--oa-id", "5797", stdin="THE-OA-SECRET\n")
    assert linked.exit_code == 0, linked.output
    assert "THE-OA-SECRET" not in linked.output and "/zalo/webhook" in linked.output
    stored = zalo_cli("zalo", "tokens", "--commune", "dai_hong", stdin="ACCESS-TOK\nREFRESH-TOK\n")
    assert stored.exit_code == 0, stored.output
    assert "ACCESS-TOK" not in stored.output and "REFRESH-TOK" not in stored.output
    row = _stored(database_url)
    assert row["oa_id"] == "5797" and row["commune"] == "dai_hong" and row["token_version"] == 1
    for column, secret in (("secret_key", "THE-OA-SECRET"), ("access_token", "ACCESS-TOK"),
                           ("refresh_token", "REFRESH-TOK")):
        assert secret not in row[column] and row[column].startswith("gAAAAA")  # Fernet tokens


@pytest.mark.parametrize("args, stdin, mentions", [
    (("zalo", "link", "--commune", "nowhere", "--oa-id", "1"), "s\n", "unknown commune"),
    (("zalo", "link", "--commune", "dai_hong", "--oa-id", "1"), "", "OA secret key on stdin"),
    (("zalo", "tokens", "--commune", "dai_hong"), "only-one-line\n", "refresh token"),
    (("zalo", "tokens", "--commune", "dai_hong"), "a\nb\n", "no linked OA"),
    (("zalo", "simulate", "chào", "--url", "file:///etc/passwd"), "", "http(s) address"),
])
def test_bad_input_is_a_clear_error(zalo_cli, args, stdin, mentions):
    result = zalo_cli(*args, stdin=stdin)
    assert result.exit_code != 0 and mentions in result.output, result.output


def test_a_commune_has_one_oa(zalo_cli):
    assert zalo_cli("zalo", "link", "--commune", "dai_hong", "--oa-id", "1", stdin="s\n").exit_code == 0
    other = zalo_cli("zalo", "link", "--commune", "dai_hong", "--oa-id", "2", stdin="s\n")
    assert other.exit_code != 0 and "already linked" in other.output
