"""Communes as tenants: tokens and accounts see and act only on their communes' messages.

Two communes here: the bundled Đại Hồng and a test Đại Sơn whose hamlet `phu_gia` has the same
id as one of Đại Hồng's, so hamlet filters must be qualified by commune.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from service.cli import main
from service.exports import corrections_frame
from service.schema import api_tokens, messages, users
from service.tokens import create_token
from service.users import create_user
from tests.service.helpers import assert_error
from tests.service.test_review import FAST_HASH, PASSWORD, Web
from triage import Triage
from triage.routing import CommuneDirectory

HONG, SON = "dai_hong", "dai_son"
DAI_SON = """\
version: "test"
id: dai_son
name: "Công an xã Đại Sơn"
address: "Trụ sở Công an xã Đại Sơn"
duty_phone: "0235 3000 000"
chief: {name: "Trưởng Công an xã", title: "Trưởng Công an xã", phone: "0905000000"}
office_hours: "Sáng 7h30–11h30"
hamlets:
  - id: phu_gia
    name: "Phú Gia"
    officer: {name: "Công an viên A", title: "Công an viên thôn Phú Gia", phone: "0905000001"}
  - id: tan_an
    name: "Tân An"
    officer: {name: "Công an viên B", title: "Công an viên thôn Tân An", phone: "0905000002"}
replies:
  crime_urgent: "Gọi ngay 113 hoặc số trực ban {commune_name} {duty_phone}."
  crime_tip: "Cảm ơn anh/chị đã báo tin cho {commune_name}."
  procedure: "Thủ tục {procedure_name}: {office_hours}."
  procedure_general: "Cán bộ sẽ trả lời: {address}."
  chat: "{commune_name} đã nhận tin nhắn."
  review: "{commune_name} đã nhận tin nhắn."
"""
TIP = "nhà tôi ở thôn Phú Gia bị trộm xe máy"


@pytest.fixture(scope="module")
def communes_dir(tmp_path_factory, engine) -> Path:
    folder = tmp_path_factory.mktemp("communes")
    bundled = Path(__file__).resolve().parents[2] / "triage" / "data" / "communes" / "dai_hong.yaml"
    (folder / "dai_hong.yaml").write_text(bundled.read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "dai_son.yaml").write_text(DAI_SON, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def two_communes(engine, communes_dir) -> Triage:
    """The session's engine with both communes."""
    directory = CommuneDirectory.load(communes_dir, HONG, engine.normalizer)
    return Triage(engine.normalizer, engine.rules, engine.scorer, engine.metadata, engine.decision_config,
                  directory, engine.catalog, engine.cues)


@pytest.fixture
def app(make_app, two_communes, communes_dir):
    return make_app(TRIAGE_ENGINE=two_communes, COMMUNES_DIR=str(communes_dir), PASSWORD_HASH=FAST_HASH)


class Tenants:
    """Tokens and accounts of each commune, and a message of each."""

    def __init__(self, app) -> None:
        self.app = app
        self.db = app.extensions["triage.db"]
        self.client = app.test_client()
        self.tokens: dict[str, str] = {}

    def headers(self, name: str, role: str = "bot", communes: frozenset[str] | None = None) -> dict[str, str]:
        if name not in self.tokens:
            self.tokens[name] = create_token(self.db, name, role, communes)
        return {"Authorization": f"Bearer {self.tokens[name]}"}

    def bot(self, commune: str) -> dict[str, str]:
        return self.headers(f"bot-{commune}", "bot", frozenset({commune}))

    def classify(self, commune: str, text: str = TIP) -> str:
        response = self.client.post("/v1/classify", json={"text": text}, headers=self.bot(commune))
        assert response.status_code == 200, response.get_data(as_text=True)
        return response.get_json()["message_id"]

    def web(self, name: str, role: str = "officer", communes: frozenset[str] | None = None) -> Web:
        create_user(self.db, name, role, PASSWORD, method=FAST_HASH, communes=communes)
        web = Web(self.app)
        web.login(name)
        return web


@pytest.fixture
def tenants(app) -> Tenants:
    return Tenants(app)


def shown_ids(page: str) -> set[str]:
    return set(re.findall(r'data-id="([0-9a-f]{32})"', page))


# --- tokens and accounts get communes on the command line ---------------------------------------

def test_tokens_and_users_take_communes_and_refuse_unknown_ones(database_url, tmp_path, communes_dir):
    env = {"TRIAGE_DATABASE_URL": database_url, "TRIAGE_INSTANCE_PATH": str(tmp_path / "instance"),
           "TRIAGE_COMMUNES_DIR": str(communes_dir)}

    def run(*args: str, stdin: str | None = None):
        return CliRunner().invoke(main, list(args), input=stdin, env=env)

    made = run("tokens", "create", "--name", "bot-son", "--role", "bot", "--commune", SON)
    assert made.exit_code == 0, made.output
    assert run("tokens", "create", "--name", "bot-all", "--role", "bot").exit_code == 0
    both = run("users", "add", "lan", "--role", "officer", "--commune", f"{HONG},{SON}", stdin=PASSWORD + "\n")
    assert both.exit_code == 0 and "communes: dai_hong,dai_son" in both.output, both.output
    repeated = run("users", "add", "hoa", "--role", "officer", "--commune", HONG, "--commune", SON,
                   stdin=PASSWORD + "\n")
    assert repeated.exit_code == 0, repeated.output
    for args, stdin in ((("tokens", "create", "--name", "x", "--role", "bot", "--commune", "dai_nowhere"), None),
                        (("users", "add", "y", "--role", "officer", "--commune", f"{HONG},dai_nowhere"),
                         PASSWORD + "\n")):
        refused = run(*args, stdin=stdin)
        assert refused.exit_code == 2 and "unknown commune 'dai_nowhere'" in refused.output, refused.output
        assert "dai_son" in refused.output, "the known ids are named"
    assert re.search(r"bot-son\s+bot\s+\S+ \S+ active\s+dai_son", run("tokens", "list").output)
    assert re.search(r"bot-all\s+.*all communes", run("tokens", "list").output)
    assert re.search(r"lan\s+officer\s+.*dai_hong,dai_son", run("users", "list").output)
    assert not re.search(r"^x\s", run("tokens", "list").output, re.MULTILINE), "nothing stored when refused"


def test_stored_communes_of_tokens_and_users(tenants):
    tenants.bot(SON)
    tenants.web("lan", communes=frozenset({HONG}))
    with tenants.db.transaction() as conn:
        assert conn.execute(select(api_tokens.c.communes).where(api_tokens.c.name == "bot-dai_son")).scalar() == SON
        assert conn.execute(select(users.c.communes).where(users.c.name == "lan")).scalar() == HONG


# --- a bot token classifies only into its communes ----------------------------------------------

def test_a_bot_token_of_one_commune_cannot_classify_into_another(tenants):
    client = tenants.client
    refused = client.post("/v1/classify", json={"text": TIP, "commune": SON}, headers=tenants.bot(HONG))
    assert_error(refused, 403, "forbidden", "'dai_son'")
    batch = client.post("/v1/classify/batch", json={"messages": [{"text": "chào"}, {"text": TIP, "commune": SON}]},
                        headers=tenants.bot(HONG))
    assert_error(batch, 403, "forbidden", "'dai_son'")
    with tenants.db.transaction() as conn:
        assert conn.execute(select(messages.c.id)).all() == [], "nothing of a refused request is stored"
    own = client.post("/v1/classify", json={"text": TIP}, headers=tenants.bot(SON))
    assert own.status_code == 200
    assert "Đại Sơn" in own.get_json()["route"]["reply"], "a token of one commune classifies into it"
    everywhere = tenants.headers("bot-all")
    assert client.post("/v1/classify", json={"text": TIP, "commune": SON}, headers=everywhere).status_code == 200
    default = client.post("/v1/classify", json={"text": TIP}, headers=everywhere).get_json()
    assert "Đại Hồng" in default["route"]["reply"]
    several = tenants.headers("bot-two", "bot", frozenset({HONG, SON}))
    assert client.post("/v1/classify", json={"text": TIP, "commune": SON}, headers=several).status_code == 200
    with tenants.db.transaction() as conn:
        assert sorted(conn.execute(select(messages.c.commune)).scalars()) == [HONG, SON, SON, SON]


def test_a_token_of_several_communes_without_the_default_must_name_one(tenants):
    several = tenants.headers("bot-far", "bot", frozenset({SON, "dai_other"}))
    response = tenants.client.post("/v1/classify", json={"text": TIP}, headers=several)
    assert_error(response, 403, "forbidden", "Name one of them")


# --- reads and writes of another commune's message are a 404 ------------------------------------

def test_an_officer_token_of_one_commune_cannot_read_or_correct_another_communes_message(tenants):
    hong, son = tenants.classify(HONG), tenants.classify(SON)
    officer = tenants.headers("officer-hong", "officer", frozenset({HONG}))
    assert tenants.client.get(f"/v1/messages/{hong}", headers=officer).status_code == 200
    assert_error(tenants.client.get(f"/v1/messages/{son}", headers=officer), 404, "not_found")
    label = tenants.client.post(f"/v1/messages/{son}/label", json={"label": "chat"}, headers=officer)
    assert_error(label, 404, "not_found")
    province = tenants.headers("analyst-all", "analyst")
    seen = tenants.client.get(f"/v1/messages/{son}", headers=province)
    assert seen.status_code == 200 and seen.get_json()["commune"] == SON
    assert seen.get_json()["corrections"] == [], "the refused correction was not stored"


def test_an_officer_of_one_commune_cannot_list_open_or_correct_another_communes_messages(tenants):
    hong, son = tenants.classify(HONG), tenants.classify(SON)
    web = tenants.web("lan", communes=frozenset({HONG}))
    queue = web.client.get("/review?status=all").get_data(as_text=True)
    assert shown_ids(queue) == {hong}
    assert web.client.get(f"/messages/{hong}").status_code == 200
    opened = web.client.get(f"/messages/{son}")
    assert opened.status_code == 404 and "Không tìm thấy tin nhắn này" in opened.get_data(as_text=True)
    assert opened.mimetype == "text/html"
    assert web.correct(son, "chat").status_code == 404
    dashboard = web.client.get("/dashboard").get_data(as_text=True)
    assert "Tổng số tin nhắn trong 14 ngày gần nhất: <strong>1</strong>" in dashboard
    province = tenants.web("tam", "analyst")
    assert shown_ids(province.client.get("/review?status=all").get_data(as_text=True)) == {hong, son}
    assert "trong 14 ngày gần nhất: <strong>2</strong>" in province.client.get("/dashboard").get_data(as_text=True)


def test_pages_show_the_commune_of_each_message(tenants):
    son = tenants.classify(SON)
    web = tenants.web("tam", "analyst")
    assert "Công an xã Đại Sơn" in web.client.get(f"/messages/{son}").get_data(as_text=True)
    assert "Công an xã Đại Sơn" in web.client.get("/review?status=all").get_data(as_text=True)


def test_the_hamlet_filter_offers_only_the_users_hamlets_qualified_by_commune(tenants):
    hong, son = tenants.classify(HONG), tenants.classify(SON)
    web = tenants.web("lan", communes=frozenset({HONG}))
    page = web.client.get("/review?status=all").get_data(as_text=True)
    options = dict(re.findall(r'<option value="([a-z_]+:[a-z_]+)"[^>]*>([^<]+)</option>', page))
    assert "dai_hong:phu_gia" in options and "Tân An" not in page
    assert not any(key.startswith("dai_son:") for key in options)
    assert shown_ids(web.client.get("/review?status=all&hamlet=dai_hong:phu_gia").get_data(as_text=True)) == {hong}
    assert web.client.get("/review?status=all&hamlet=dai_son:phu_gia").status_code == 400
    province = tenants.web("tam", "analyst")
    page = province.client.get("/review?status=all").get_data(as_text=True)
    assert "Phú Gia (Công an xã Đại Sơn)" in page and "Phú Gia (Công an xã Đại Hồng)" in page
    assert shown_ids(province.client.get("/review?status=all&hamlet=dai_son:phu_gia")
                     .get_data(as_text=True)) == {son}


def test_export_corrections_can_be_limited_to_communes(tenants, database_url, tmp_path, communes_dir):
    hong, son = tenants.classify(HONG), tenants.classify(SON)
    officer = tenants.headers("admin-all", "admin")
    for message_id in (hong, son):
        response = tenants.client.post(f"/v1/messages/{message_id}/label", json={"label": "crime_tip"},
                                       headers=officer)
        assert response.status_code == 201
    assert list(corrections_frame(tenants.db, frozenset({SON}))["source"]) == [f"correction:{son}"]
    out = tmp_path / "son.csv"
    env = {"TRIAGE_DATABASE_URL": database_url, "TRIAGE_INSTANCE_PATH": str(tmp_path / "instance"),
           "TRIAGE_COMMUNES_DIR": str(communes_dir)}
    result = CliRunner().invoke(main, ["export-corrections", "--out", str(out), "--commune", SON], env=env)
    assert result.exit_code == 0 and "1 corrected messages" in result.output, result.output
    assert son in out.read_text(encoding="utf-8") and hong not in out.read_text(encoding="utf-8")
    unknown = CliRunner().invoke(main, ["export-corrections", "--out", str(out), "--commune", "x"], env=env)
    assert unknown.exit_code == 2 and "unknown commune 'x'" in unknown.output


def test_an_admin_of_one_commune_manages_only_its_accounts(tenants):
    tenants.web("son-officer", communes=frozenset({SON}))
    admin = tenants.web("boss", "admin", frozenset({HONG}))
    page = admin.client.get("/admin/users").get_data(as_text=True)
    assert "son-officer" not in page and "Công an xã Đại Sơn" not in page
    token = admin.session()["csrf"]
    admin.client.post("/admin/users/son-officer/disable", data={"csrf_token": token})
    assert Web(tenants.app).login("son-officer").headers["Location"] == "/review", "still enabled"
    admin.client.post("/admin/users", data={"name": "moi", "role": "officer", "password": PASSWORD,
                                            "csrf_token": token, "commune": SON})
    admin.client.post("/admin/users", data={"name": "moi2", "role": "officer", "password": PASSWORD,
                                            "csrf_token": token})
    with tenants.db.transaction() as conn:
        made = dict(conn.execute(select(users.c.name, users.c.communes).where(users.c.name.like("moi%"))).all())
    assert made == {"moi2": HONG}, "no account outside the admin's communes"


def test_an_admin_of_one_commune_cannot_reset_or_unlock_accounts_outside_it(tenants):
    """"Cấp mật khẩu mới" and "Mở tạm khóa" are limited like disabling: no taking over a province admin."""
    province = tenants.web("province", "admin")
    son = tenants.web("son-officer", communes=frozenset({SON}))
    admin = tenants.web("boss", "admin", frozenset({HONG}))
    token = admin.session()["csrf"]
    for name, victim in (("province", province), ("son-officer", son)):
        reset = admin.client.post(f"/admin/users/{name}/reset", data={"csrf_token": token})
        assert reset.status_code == 302 and "one-time-password" not in reset.get_data(as_text=True)
        page = admin.client.get(reset.headers["Location"]).get_data(as_text=True)
        assert f"Không có tài khoản {name} trong các xã bạn quản lý" in page
        assert victim.client.get("/review").status_code == 200, "its session goes on, its password stands"
    guesser = Web(tenants.app)
    for _ in range(5):
        guesser.login("province", "sai-mat-khau-roi")
    admin.client.post("/admin/users/province/unlock", data={"csrf_token": token})
    assert guesser.login("province").headers["Location"].startswith("/login"), "still locked"


# --- the correction memory is scoped by commune --------------------------------------------------

def test_a_correction_in_one_commune_never_changes_a_message_of_another(tenants):
    text = "Cảm ơn các anh ở thôn Phú Gia nhiều"
    first = tenants.client.post("/v1/classify", json={"text": text}, headers=tenants.bot(SON)).get_json()
    assert first["label"] == "chat"
    officer = tenants.headers("officer-son", "officer", frozenset({SON}))
    corrected = tenants.client.post(f"/v1/messages/{first['message_id']}/label",
                                    json={"label": "crime_tip", "urgent": True}, headers=officer)
    assert corrected.status_code == 201
    hong = tenants.client.post("/v1/classify", json={"text": text}, headers=tenants.bot(HONG)).get_json()
    assert hong["label"] == "chat" and hong["reasons"][0]["kind"] != "officer_correction"
    son = tenants.client.post("/v1/classify", json={"text": text}, headers=tenants.bot(SON)).get_json()
    assert (son["label"], son["urgent"], son["reasons"][0]["kind"]) == ("crime_tip", True, "officer_correction")
