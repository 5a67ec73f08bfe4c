"""Review-screen user names: one plain name each, no paths or control characters, no look-alikes."""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import pytest

from service.users import UserError, authenticate, create_user, list_users, make_dummy_hash
from tests.service.test_review import triage_cli

FAST_HASH = "pbkdf2:sha256:1000"
PASSWORD = "mat-khau-du-dai"


def db_of(app):
    return app.extensions["triage.db"]


@pytest.mark.parametrize("name", ["a/b", "..", "../admin", "lan..", "lan..x", ".lan", "-lan", "_lan", "lan\x00",
                                  "lan\x1b[31m", "lan\u200b", "lan\r\nadmin", "có dấu", "", "x" * 101,
                                  "lan\\admin", "lan\u0301\u0301"])
def test_names_with_paths_spaces_or_control_characters_are_refused(app, name):
    with pytest.raises(UserError, match="name must be") as refused:
        create_user(db_of(app), name, "officer", PASSWORD, method=FAST_HASH)
    assert "tên đăng nhập" in refused.value.vietnamese
    assert list_users(db_of(app)) == []


@pytest.mark.parametrize("name", ["lan", "Lân", "nguyen.van-an_2", "Đặng"])
def test_ordinary_vietnamese_names_are_accepted(app, name):
    assert create_user(db_of(app), name, "officer", PASSWORD, method=FAST_HASH).name == name


@pytest.mark.parametrize("look_alike", [unicodedata.normalize("NFD", "Lân"), "LÂN", "lân", "Ｌân"])
def test_a_name_that_looks_like_an_existing_one_is_refused(app, look_alike):
    create_user(db_of(app), "Lân", "officer", PASSWORD, method=FAST_HASH)
    with pytest.raises(UserError, match="already exists"):
        create_user(db_of(app), look_alike, "admin", PASSWORD, method=FAST_HASH)
    assert [user.name for user in list_users(db_of(app))] == ["Lân"]


def test_a_decomposed_name_is_stored_composed_and_logs_in_either_way(app):
    decomposed = unicodedata.normalize("NFD", "Đặng")
    assert create_user(db_of(app), decomposed, "officer", PASSWORD, method=FAST_HASH).name == "Đặng"
    for typed in (decomposed, "Đặng"):
        user = authenticate(db_of(app), typed, PASSWORD, address="127.0.0.1", max_failures=5,
                            lockout=timedelta(minutes=15), dummy_hash=make_dummy_hash(FAST_HASH))
        assert user is not None and user.name == "Đặng"


def test_the_command_line_refuses_a_path_as_a_name(database_url, tmp_path):
    result = triage_cli(database_url, tmp_path, "users", "add", "../admin", "--role", "admin", stdin=PASSWORD + "\n")
    assert result.exit_code != 0 and "name must be" in result.output, result.output
