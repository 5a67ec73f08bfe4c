import pytest

from triage.cues import NO_CUES, Cues
from triage.decision import DecisionConfig, decide
from triage.model import NO_PROCEDURE, HeadOutput
from triage.rules import RuleHit

# The table below is written for these thresholds (not the shipped ones, which may be retuned).
CONFIG = DecisionConfig(crime_tip_threshold=0.30, review_below=0.65, rule_evidence_cap=4.0,
                        urgent_threshold=0.5, urgent_rule_boost=1.5, procedure_id_threshold=0.3)


def model(crime, procedure, chat, urgent=0.1, procedures=None):
    return HeadOutput(label={"crime_tip": crime, "procedure": procedure, "chat": chat}, urgent=urgent,
                      procedure=procedures or {NO_PROCEDURE: 1.0})


def hit(rule_id, label, weight=2.0, urgent=False, procedure_id=None):
    return RuleHit(rule_id, label, "x", (0, 1), weight, urgent, None, procedure_id)


@pytest.mark.parametrize("probs, hits, label, review", [
    # clear cases follow the model
    ((0.9, 0.05, 0.05), [], "crime_tip", False),
    ((0.05, 0.9, 0.05), [], "procedure", False),
    ((0.05, 0.05, 0.9), [], "chat", False),
    # safety bias: a crime tip at 0.30+ wins even when chat scores higher, and goes to review
    ((0.35, 0.05, 0.60), [], "crime_tip", True),
    # below the threshold chat stays chat
    ((0.20, 0.05, 0.75), [], "chat", False),
    # a crime rule lifts a borderline model score over the line
    ((0.25, 0.05, 0.70), [hit("crime.theft", "crime_tip")], "crime_tip", False),
    ((0.25, 0.05, 0.70), [], "chat", False),
    # the same rule firing twice counts once
    ((0.02, 0.08, 0.90), [hit("crime.x", "crime_tip", 1.0), hit("crime.x", "crime_tip", 1.0)], "chat", False),
    # a chat rule can pull an unsure model to chat
    ((0.10, 0.45, 0.45), [hit("chat.greeting", "chat", 1.5)], "chat", False),
    # safety first: procedure rules add nothing once a crime rule fired
    ((0.24, 0.74, 0.02), [hit("crime.theft", "crime_tip"), hit("procedure.cap_can_cuoc", "procedure")],
     "crime_tip", False),
    ((0.24, 0.74, 0.02), [hit("procedure.cap_can_cuoc", "procedure")], "procedure", False),
    # low confidence needs review
    ((0.25, 0.40, 0.35), [], "procedure", True),
])
def test_decide_label_and_review(probs, hits, label, review):
    decision = decide(model(*probs), hits, CONFIG)
    assert decision.label == label
    assert decision.needs_review is review
    assert abs(sum(decision.scores.values()) - 1.0) < 1e-9
    assert decision.confidence == decision.scores[label]


def test_rule_evidence_is_capped():
    many = [hit(f"crime.{i}", "crime_tip", 3.0) for i in range(10)]
    capped = decide(model(0.001, 0.998, 0.001), many, CONFIG)
    uncapped = decide(model(0.001, 0.998, 0.001), many, DecisionConfig(rule_evidence_cap=100))
    assert capped.scores["crime_tip"] < uncapped.scores["crime_tip"]


@pytest.mark.parametrize("urgent_prob, hits, expected", [
    (0.9, [], True),
    (0.1, [], False),
    (0.3, [hit("urgent.danger", "crime_tip", urgent=True)], True),
])
def test_urgent_combines_head_and_urgency_rules(urgent_prob, hits, expected):
    decision = decide(model(0.9, 0.05, 0.05, urgent=urgent_prob), hits, CONFIG)
    assert decision.urgent is expected


def test_urgent_only_for_crime_tips():
    assert decide(model(0.05, 0.05, 0.9, urgent=0.99), [], CONFIG).urgent is False


def test_procedure_id_from_head_and_rules():
    probs = {NO_PROCEDURE: 0.2, "tach_ho": 0.35, "dang_ky_thuong_tru": 0.45}
    assert decide(model(0.05, 0.9, 0.05, procedures=probs), [], CONFIG).procedure_id == "dang_ky_thuong_tru"
    rule = hit("procedure.tach_ho", "procedure", 2.5, procedure_id="tach_ho")
    assert decide(model(0.05, 0.9, 0.05, procedures=probs), [rule], CONFIG).procedure_id == "tach_ho"


def test_procedure_id_null_when_general_or_not_a_procedure():
    general = model(0.05, 0.9, 0.05, procedures={NO_PROCEDURE: 0.9, "tach_ho": 0.1})
    assert decide(general, [], CONFIG).procedure_id is None
    assert decide(model(0.9, 0.05, 0.05, procedures={"tach_ho": 1.0}), [], CONFIG).procedure_id is None


def test_bundled_decision_config_loads():
    config = DecisionConfig.load()
    assert 0 < config.crime_tip_threshold < 0.5
    assert config.version


# --- intent and time (cue families, LABELING.md rule 9 and "Time decides") ---------------------

CUE_CONFIG = DecisionConfig(crime_tip_threshold=0.40, review_below=0.65, rule_evidence_cap=2.0,
                            urgent_threshold=0.4, urgent_rule_boost=1.0, model_unsure_below=0.65,
                            talk_rule_factor=0.3, over_urgent_penalty=1.5, ongoing_urgent_boost=1.0)
PAST = Cues({"time_past": "tối qua"})
PAST_BUT_ONGOING = Cues({"time_past": "sáng nay", "danger_goes_on": "vẫn chưa về"})
PAST_AND_NOW = Cues({"time_past": "hôm qua", "time_now": "ngay bây giờ"})
NOW = Cues({"time_now": "từ trưa tới giờ"})
TALK = Cues({"distance": "đọc báo"})
TALK_BUT_INVOLVED = Cues({"distance": "trên mạng", "involvement": "nhà tôi"})
URGENT_RULE = hit("urgent.danger", "crime_tip", 1.5, urgent=True)


@pytest.mark.parametrize("urgent_prob, hits, cues, expected", [
    # an urgent rule pages for an incident with no time said ...
    (0.3, [URGENT_RULE], NO_CUES, True),
    # ... but not for one that is over: the rule adds nothing and the head loses log-odds
    (0.3, [URGENT_RULE], PAST, False),
    (0.6, [], PAST, False),
    (0.95, [], PAST, True),
    # over, yet the danger goes on, or something is happening now: urgent again
    (0.3, [URGENT_RULE], PAST_BUT_ONGOING, True),
    (0.3, [], PAST_BUT_ONGOING, True),
    (0.3, [URGENT_RULE], PAST_AND_NOW, True),
    # said to happen now ("tới giờ", "đang"): the same boost as danger that goes on
    (0.3, [], NOW, True),
    (0.3, [], NO_CUES, False),
])
def test_urgency_follows_the_time_of_the_incident(urgent_prob, hits, cues, expected):
    decision = decide(model(0.9, 0.05, 0.05, urgent=urgent_prob), hits, CUE_CONFIG, cues)
    assert decision.label == "crime_tip"
    assert decision.urgent is expected
    assert decision.over is (cues is PAST)


def test_talk_about_crime_weakens_crime_rules_unless_the_sender_is_involved():
    probs, hits = (0.15, 0.05, 0.80), [hit("crime.robbery", "crime_tip")]
    assert decide(model(*probs), hits, CUE_CONFIG).label == "crime_tip"
    talk = decide(model(*probs), hits, CUE_CONFIG, TALK)
    assert talk.label == "chat" and talk.talk_only
    involved = decide(model(*probs), hits, CUE_CONFIG, TALK_BUT_INVOLVED)
    assert involved.label == "crime_tip" and not involved.talk_only


@pytest.mark.parametrize("probs, hits, cues, review", [
    # the model alone was unsure and a rule settled it: review, though the combined score is high
    ((0.55, 0.05, 0.40), [hit("crime.theft", "crime_tip")], NO_CUES, True),
    ((0.90, 0.05, 0.05), [hit("crime.theft", "crime_tip")], NO_CUES, False),
    # talk about crime that still came out a crime tip: review
    ((0.95, 0.03, 0.02), [], TALK, True),
    ((0.02, 0.03, 0.95), [], TALK, False),
])
def test_review_flags_unsure_models_and_intent_conflicts(probs, hits, cues, review):
    assert decide(model(*probs), hits, CUE_CONFIG, cues).needs_review is review

