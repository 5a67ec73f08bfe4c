"""End-to-end behaviour of the bundled engine (real model, real rules, real config)."""

import pytest

from triage.engine import KnownLabel

CONTRACT = {"label", "confidence", "scores", "urgent", "procedure_id", "needs_review", "reasons",
            "entities", "route", "model_version", "rules_version"}


def test_result_dict_follows_the_contract(engine):
    result = engine.classify("nhà tôi ở thôn Hà Nha bị trộm xe máy, sđt 0905123456").to_dict()
    assert set(result) == CONTRACT
    assert set(result["scores"]) == {"crime_tip", "procedure", "chat"}
    assert set(result["route"]) == {"action", "queue", "priority", "notify", "reply", "procedure"}
    assert result["model_version"] == engine.model_version
    assert result["rules_version"] == engine.rules.version


@pytest.mark.parametrize("text, label", [
    ("Nhà tôi bị trộm mất xe máy tối qua", "crime_tip"),
    ("nha toi bi trom mat xe may toi qua", "crime_tip"),
    ("bị trộm mất ví có cả căn cước, giờ làm lại thế nào", "crime_tip"),      # rule 1: safety first
    ("em làm rơi mất căn cước, giờ làm lại thế nào ạ", "procedure"),           # rule 1: no crime
    ("có người gọi xưng công an bảo tôi chuyển tiền, có phải lừa đảo không", "crime_tip"),  # rule 3
    ("cho em xin số điện thoại trực ban", "chat"),                           # rule 4
    ("làm cccd cho con 14 tuổi cần giấy tờ gì", "procedure"),
    ("dạ em cảm ơn anh nhiều", "chat"),
    ("👍", "chat"),
])
def test_labels_of_clear_messages(engine, text, label):
    assert engine.classify(text).label == label


def test_urgent_tip_is_flagged_and_routed_first(engine):
    result = engine.classify("cứu với, thằng hàng xóm say rượu đang cầm dao đòi chém vợ nó")
    assert result.label == "crime_tip" and result.urgent
    assert result.route.priority == "urgent" and "113" in result.route.reply


def test_procedure_gets_id_and_card(engine):
    result = engine.classify("con trai tôi lấy vợ rồi muốn tách hộ khẩu ra riêng thì làm thế nào")
    assert (result.label, result.procedure_id) == ("procedure", "tach_ho")
    assert result.route.procedure.id == "tach_ho"


def test_reasons_show_rule_hits_with_spans_and_the_model(engine):
    text = "Tối qua nhà em bị trộm con bò"
    result = engine.classify(text)
    rules = [r for r in result.reasons if r["kind"] == "rule"]
    assert any(r["rule_id"] == "crime.theft" for r in rules)
    for reason in rules:
        assert text[reason["span"][0]:reason["span"][1]] == reason["matched"]
    assert any(r["kind"] == "model" for r in result.reasons)


def test_entities_hamlet_phone_plate_id(engine):
    text = "thôn phu gia co xe 92E1-123.45 cua ong A, sdt 0912345678, cccd 049123456789"
    kinds = {(e.kind, e.value) for e in engine.classify(text).entities}
    assert ("hamlet", "phu_gia") in kinds
    assert ("plate", "92E112345") in kinds
    assert ("phone", "0912345678") in kinds
    assert ("id_number", "049123456789") in kinds


def test_hamlet_officer_is_notified(engine):
    result = engine.classify("ở thôn Phú Gia có nhóm thanh niên đánh nhau")
    officer = engine.communes.get(None).hamlets["phu_gia"].officer
    assert officer.phone in {n["phone"] for n in result.route.notify}


@pytest.mark.parametrize("text", ["", "   ", "\u200f\u200f", "a" * 20000, "🙂" * 3000, "\x00\x00"])
def test_odd_input_still_gets_a_result(engine, text):
    result = engine.classify(text)
    assert result.label in {"crime_tip", "procedure", "chat"}


@pytest.mark.parametrize("known, label, urgent, procedure_id, action", [
    (KnownLabel("chat"), "chat", False, None, None),
    (KnownLabel("crime_tip", urgent=True), "crime_tip", True, None, None),
    (KnownLabel("procedure", procedure_id="tach_ho"), "procedure", False, "tach_ho", None),
])
def test_an_officer_label_replaces_the_decision_with_full_confidence(engine, known, label, urgent,
                                                                     procedure_id, action):
    seen = []

    def recall(key):
        seen.append(key)
        return known

    result = engine.classify("Nhà tôi bị TRỘM xe máy", known_label=recall)
    assert seen == ["nha toi bi trom xe may"]
    assert (result.label, result.urgent, result.procedure_id) == (label, urgent, procedure_id)
    assert result.confidence == 1.0 and result.needs_review is False
    assert result.reasons[0]["kind"] == "officer_correction" and result.reasons[0]["label"] == label
    assert any(r["kind"] == "model" for r in result.reasons), "the model's view stays visible"
    plain = engine.classify("Nhà tôi bị TRỘM xe máy")
    if label == "crime_tip":
        assert result.route.queue == plain.route.queue
    else:
        assert result.route != plain.route, "the route follows the officer's label"


def test_no_known_label_leaves_the_result_unchanged(engine):
    text = "cho hỏi làm căn cước ở đâu"
    assert engine.classify(text, known_label=lambda key: None) == engine.classify(text)


@pytest.mark.parametrize("known, applied", [
    (KnownLabel("chat", may_lower=False), False),
    (KnownLabel("procedure", procedure_id="tach_ho", may_lower=False), False),
    (KnownLabel("crime_tip", urgent=False, may_lower=False), False),
    (KnownLabel("crime_tip", may_lower=False), True),
    (KnownLabel("crime_tip", urgent=True, may_lower=False), True),
])
def test_a_label_that_may_not_lower_a_tip_leaves_the_decision_and_asks_for_review(engine, known, applied):
    text = "cứu với có người cầm dao đòi chém ở chợ"
    plain = engine.classify(text)
    assert (plain.label, plain.urgent) == ("crime_tip", True)
    result = engine.classify(text, known_label=lambda key: known)
    assert result.reasons[0]["kind"] == ("officer_correction" if applied else "officer_correction_not_applied")
    if not applied:
        assert (result.label, result.urgent, result.confidence) == (plain.label, True, plain.confidence)
        assert result.needs_review is True and result.reasons[0]["label"] == known.label
        assert result.route.queue == plain.route.queue and result.route.notify == plain.route.notify


def test_a_label_that_may_not_lower_still_raises(engine):
    text = "cho hỏi giờ làm việc"
    assert engine.classify(text).label == "chat"
    for known, label in ((KnownLabel("crime_tip", urgent=True, may_lower=False), "crime_tip"),
                         (KnownLabel("procedure", procedure_id="tach_ho", may_lower=False), "procedure")):
        result = engine.classify(text, known_label=lambda key, known=known: known)
        assert (result.label, result.confidence, result.needs_review) == (label, 1.0, False)


@pytest.mark.parametrize("text", ["cứu", "cuu voi", "CỨU!!!", "có trộm", "co trom!!!", "cướp", "cháy nhà",
                                  "cứu em với"])
def test_very_short_cries_are_urgent_crime_tips(engine, text):
    result = engine.classify(text)
    assert (result.label, result.urgent) == ("crime_tip", True)


def test_an_incident_that_is_over_is_not_urgent_and_says_why(engine):
    result = engine.classify("tối qua thằng say cầm dao chém bị thương ông hàng xóm rồi bỏ chạy, ông đã đi viện")
    assert result.label == "crime_tip" and not result.urgent
    time = [reason for reason in result.reasons if reason["kind"] == "time"]
    assert time and time[0]["cues"]["time_past"] == "tối qua"


def test_a_recurring_nuisance_is_urgent_only_when_it_is_happening_now(engine):
    habit = engine.classify("quán karaoke đầu thôn 3 đêm nào cũng hát ầm ĩ tới 1 giờ sáng, bà con không ngủ được")
    assert habit.label == "crime_tip" and not habit.urgent
    time = [reason for reason in habit.reasons if reason["kind"] == "time"]
    assert time and time[0]["cues"]["habitual"] == "đêm nào cũng" and "lặp lại" in time[0]["message"]
    now = engine.classify("mấy thằng đêm nào cũng đua xe, giờ đang rú ga ầm ầm trước nhà em ở thôn 3")
    assert (now.label, now.urgent) == ("crime_tip", True)


def test_danger_that_goes_on_stays_urgent(engine):
    result = engine.classify("sáng nay con tôi đi học mà tới giờ vẫn chưa về, gọi không được, "
                             "có người lạ hỏi thăm cháu")
    assert (result.label, result.urgent) == ("crime_tip", True)


def test_talk_about_crime_is_chat_and_says_why(engine):
    result = engine.classify("đọc báo thấy vụ cướp tiệm vàng ở thành phố, mọi người nên cảnh giác")
    assert result.label == "chat"
    assert any(reason["kind"] == "intent" for reason in result.reasons)


def test_the_time_reason_never_contradicts_the_urgent_flag():
    from triage.cues import Cues
    from triage.decision import Decision
    from triage.engine import Analysis, _reasons
    from triage.model import HeadOutput

    model = HeadOutput({"crime_tip": 0.9, "procedure": 0.05, "chat": 0.05}, 0.97, {})
    for urgent, expected in ((False, "không tính là khẩn cấp"), (True, "vẫn tính là khẩn cấp")):
        decision = Decision("crime_tip", 0.9, dict(model.label), urgent, None, False, False, over=True)
        analysis = Analysis(model, [], Cues({"time_past": "tối qua"}), decision)
        time = [r for r in _reasons(analysis, False) if r["kind"] == "time"]
        assert len(time) == 1 and time[0]["message"].endswith(expected + ".")
