from importlib import resources

import pytest
import yaml

from triage.errors import ConfigError
from triage.procedures import PROCEDURE_IDS, ProcedureCatalog
from triage.routing import CommuneDirectory, route


@pytest.fixture(scope="module")
def communes(normalizer):
    return CommuneDirectory.load(normalizer=normalizer)


@pytest.fixture(scope="module")
def catalog():
    return ProcedureCatalog.load()


def test_catalog_has_all_17_procedures_with_cards(catalog):
    assert set(catalog.cards) == set(PROCEDURE_IDS) and len(PROCEDURE_IDS) == 17
    for card in catalog.cards.values():
        assert card.documents and card.fee and card.processing_time and card.where and card.legal_basis


def test_catalog_rejects_unknown_and_missing_ids(tmp_path, catalog):
    raw = yaml.safe_load((resources.files("triage") / "data" / "procedures.yaml").read_text(encoding="utf-8"))
    raw["procedures"]["lam_so_do"] = raw["procedures"]["tach_ho"]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown procedure id 'lam_so_do'"):
        ProcedureCatalog.load(path)
    del raw["procedures"]["lam_so_do"], raw["procedures"]["tach_ho"]
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="missing from the catalog: \\['tach_ho'\\]"):
        ProcedureCatalog.load(path)


def test_bundled_commune_has_ten_hamlets_with_officers(communes):
    commune = communes.get(None)
    assert commune.id == "dai_hong"
    assert len(commune.hamlets) == 10
    assert all(h.officer.phone for h in commune.hamlets.values())


def test_urgent_tip_tells_citizen_to_call_113_and_notifies_hamlet_officer(communes, catalog):
    commune = communes.get(None)
    hamlet = next(iter(commune.hamlets))
    r = route("crime_tip", True, None, False, [hamlet], commune, catalog)
    assert (r.action, r.queue, r.priority) == ("handoff", "crime_tips", "urgent")
    assert "113" in r.reply
    roles = [n["role"] for n in r.notify]
    assert roles[0] == "duty_officer" and "hamlet_officer" in roles
    assert commune.hamlets[hamlet].officer.phone in {n["phone"] for n in r.notify}


def test_tip_promises_confidentiality_and_always_reaches_an_officer(communes, catalog):
    r = route("crime_tip", False, None, True, [], communes.get(None), catalog)
    assert (r.action, r.queue, r.priority) == ("handoff", "crime_tips", "high")
    assert "bảo mật" in r.reply.lower()
    assert [n["role"] for n in r.notify] == ["duty_officer"]


def test_procedure_gets_its_card(communes, catalog):
    r = route("procedure", False, "tach_ho", False, [], communes.get(None), catalog)
    assert (r.action, r.queue, r.procedure.id) == ("auto_reply", "procedures", "tach_ho")
    assert catalog["tach_ho"].documents[0] in r.reply


def test_general_procedure_question_goes_to_an_officer(communes, catalog):
    r = route("procedure", False, None, False, [], communes.get(None), catalog)
    assert (r.action, r.queue, r.procedure) == ("handoff", "procedures", None)


def test_unsure_non_tip_goes_to_review_and_chat_is_auto_replied(communes, catalog):
    assert route("chat", False, None, True, [], communes.get(None), catalog).queue == "review"
    r = route("chat", False, None, False, [], communes.get(None), catalog)
    assert (r.action, r.queue, r.priority) == ("auto_reply", "chat", "low")


def test_unknown_commune_names_the_known_ones(communes):
    with pytest.raises(KeyError, match="dai_hong"):
        communes.get("nowhere")


@pytest.mark.parametrize("change, message", [
    (lambda d: d["replies"].pop("chat"), "reply templates missing: \\['chat'\\]"),
    (lambda d: d["replies"].update(chat="Gọi {sdt}"), "unknown placeholders \\['sdt'\\]"),
    (lambda d: d["hamlets"].append(dict(d["hamlets"][0])), "defined twice"),
    (lambda d: d.pop("duty_phone"), "missing 'duty_phone'"),
])
def test_malformed_commune_config_is_refused(tmp_path, normalizer, change, message):
    bundled = resources.files("triage") / "data" / "communes" / "dai_hong.yaml"
    raw = yaml.safe_load(bundled.read_text(encoding="utf-8"))
    change(raw)
    (tmp_path / "x.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        CommuneDirectory.load(tmp_path, default="dai_hong", normalizer=normalizer)
