"""`triage tokens create|revoke|list` and `triage db upgrade`."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select

from service import create_app
from service.cli import main
from service.schema import api_tokens
from service.tokens import hash_token


def test_tokens_create_prints_the_token_once_and_stores_only_its_hash(runner, tmp_path, database_url):
    result = runner("tokens", "create", "--name", "zalo-bot", "--role", "bot")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("trg_") and len(token) > 40
    app = create_app({"INSTANCE_PATH": str(tmp_path / "instance"), "DATABASE_URL": database_url,
                      "PRELOAD_MODEL": False})
    with app.extensions["triage.db"].transaction() as conn:
        [row] = conn.execute(select(api_tokens)).mappings()
    app.extensions["triage.db"].dispose()
    assert row["token_hash"] == hash_token(token) and token not in str(dict(row))
    assert (row["name"], row["role"], row["revoked"]) == ("zalo-bot", "bot", False)


def test_tokens_list_and_revoke(runner):
    assert runner("tokens", "create", "--name", "can-bo-lan", "--role", "officer").exit_code == 0
    assert "can-bo-lan" in runner("tokens", "list").output and "active" in runner("tokens", "list").output
    result = runner("tokens", "revoke", "--name", "can-bo-lan")
    assert result.exit_code == 0 and "revoked can-bo-lan" in result.output
    assert "revoked" in runner("tokens", "list").output.splitlines()[0]


def test_token_commands_explain_user_errors(runner):
    assert runner("tokens", "create", "--name", "x", "--role", "boss").exit_code == 2
    runner("tokens", "create", "--name", "x", "--role", "bot")
    duplicate = runner("tokens", "create", "--name", "x", "--role", "bot")
    assert duplicate.exit_code == 1 and "already exists" in duplicate.output
    missing = runner("tokens", "revoke", "--name", "nobody")
    assert missing.exit_code == 1 and "no active token named 'nobody'" in missing.output


def test_db_upgrade_applies_migrations_once(runner):
    first = runner("db", "upgrade")
    assert first.exit_code == 0, first.output
    assert "applied 1" in first.output and "schema up to date" in first.output
    again = runner("db", "upgrade")
    assert again.exit_code == 0 and "applied" not in again.output


def test_db_upgrade_reports_an_unreachable_database(tmp_path):
    env = {"TRIAGE_DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/db.sqlite3",
           "TRIAGE_INSTANCE_PATH": str(tmp_path / "instance")}
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 1 and "cannot reach the database" in result.output
