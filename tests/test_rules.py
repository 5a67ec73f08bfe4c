import textwrap

import pytest

from triage.errors import ConfigError
from triage.procedures import PROCEDURE_IDS
from triage.rules import RuleSet


def fired(rules, normalizer, text):
    return {hit.rule_id for hit in rules.apply(normalizer.normalize(text))}


@pytest.mark.parametrize("text, rule_id", [
    ("Nhà tôi bị trộm xe máy", "crime.theft"),                 # accented
    ("nha toi bi trom xe may", "crime.theft"),                 # accent-free
    ("NHÀ TÔI BỊ TRỘM", "crime.theft"),                        # upper case
    ("có nhóm hút bóng cười ở bờ sông", "crime.drugs"),
    ("co nhom hut bong cuoi o bo song", "crime.drugs"),
    ("dang ky tam tru online ntn", "procedure.dang_ky_tam_tru"),
    ("muốn tách sổ hộ khẩu", "procedure.tach_ho"),
    ("kich hoat vneid muc 2", "procedure.dinh_danh_dien_tu"),
    ("cứu với nó cầm dao", "urgent.danger"),
    ("cho e xin sdt trực ban", "chat.contact_request"),
    ("vao link bit.ly/qua-tang nhan qua", "crime.suspicious_link"),
    # look-alikes of an official site are still suspicious links
    ("xac thuc tai https://vietcombank-xacthuc.com/login", "crime.suspicious_link"),
    ("dang nhap http://vietcombank.com.vn.bao-mat.xyz/otp", "crime.suspicious_link"),
])
def test_bundled_rules_fire(rules, normalizer, text, rule_id):
    assert rule_id in fired(rules, normalizer, text)


@pytest.mark.parametrize("text, rule_id", [
    ("con bạn đang học bài", "crime.fire"),          # "đang" is not "đang cháy"
    ("an ninh thôn xóm tốt", "crime.theft"),
    ("tôi muốn bán xe", "crime.fraud"),
    ("chạy về hướng cầu", "crime.fire"),            # unaccented "chay" must not be read as "cháy"
    # links to official sites (trusted_domains) are no sign of a scam
    ("chi tiet tai https://www.vietcombank.com.vn/khuyen-mai", "crime.suspicious_link"),
    ("Ưu đãi tại https://km.vnptmoney.vn/uudai", "crime.suspicious_link"),
    ("tra cứu tại https://dichvucong.gov.vn/p/home nhé", "crime.suspicious_link"),
])
def test_bundled_rules_do_not_fire(rules, normalizer, text, rule_id):
    assert rule_id not in fired(rules, normalizer, text)


def test_accented_syllable_must_match_exactly(tmp_path, normalizer):
    path = tmp_path / "rules.yaml"
    path.write_text(textwrap.dedent("""
        version: t1
        rules:
          - id: sell
            label: crime_tip
            phrases: [bán]
    """), encoding="utf-8")
    rules = RuleSet.load(path, normalizer)
    assert fired(rules, normalizer, "bán ma túy") == {"sell"}
    assert fired(rules, normalizer, "ban ma tuy") == {"sell"}      # typed without diacritics
    assert fired(rules, normalizer, "bạn tôi") == set()            # typed with other diacritics


def test_phrases_match_whole_syllables_only(tmp_path, normalizer):
    path = tmp_path / "rules.yaml"
    path.write_text("version: t1\nrules:\n  - {id: an, label: chat, phrases: [an]}\n", encoding="utf-8")
    rules = RuleSet.load(path, normalizer)
    assert fired(rules, normalizer, "ban an ninh") == {"an"}
    assert fired(rules, normalizer, "bàn ăn") == set()
    assert fired(rules, normalizer, "Lan anh") == set()           # no match inside "Lan" or "anh"


def test_hits_carry_spans_in_the_original_text(rules, normalizer):
    text = "Alo, tối qua nhà em BỊ TRỘM con bò"
    hits = [h for h in rules.apply(normalizer.normalize(text)) if h.rule_id == "crime.theft"]
    assert hits
    for hit in hits:
        assert text[hit.span[0]:hit.span[1]] == hit.matched
    assert "BỊ TRỘM" in {h.matched for h in hits}


def test_every_procedure_has_a_rule(rules):
    covered = {rule.procedure_id for rule in rules.rules if rule.procedure_id}
    assert covered == set(PROCEDURE_IDS)


def test_every_labeling_category_has_a_rule(rules):
    categories = {rule.category for rule in rules.rules if rule.label == "crime_tip"}
    for needed in ("theft", "robbery", "gambling", "drugs", "assault", "domestic_violence", "public_order",
                   "street_racing", "weapons", "fraud", "loan_shark", "suspicious", "missing_person",
                   "trafficking", "environment", "fire", "threat", "illegal_ads"):
        assert needed in categories
    assert any(rule.urgent for rule in rules.rules)
    assert any(rule.label == "chat" for rule in rules.rules)


@pytest.mark.parametrize("body, message", [
    ("version: x\nrules:\n  - {id: a, label: chat, phrases: [xin chào]}\n  - {id: a, label: chat, phrases: [alo]}\n",
     "rule 'a' is defined twice"),
    ("version: x\nrules:\n  - {id: p, label: procedure, procedure_id: lam_so_do, phrases: [sổ đỏ]}\n",
     "rule 'p': unknown procedure_id 'lam_so_do'"),
    ("version: x\nrules:\n  - {id: b, label: spam, phrases: [qc]}\n", "rule 'b': label 'spam'"),
    ("version: x\nrules:\n  - {id: c, label: chat, phrases: [alo], example: xin chào}\n",
     "rule 'c' does not fire on its own example"),
    ("version: x\nrules:\n  - {id: d, label: chat, regex: '(unclosed'}\n", "rule 'd': invalid regex"),
    ("version: x\nrules:\n  - {id: e, label: chat}\n", "rule 'e': needs 'phrases' or 'regex'"),
    ("version: x\nrules:\n  - {id: f, label: chat, phrases: [alo], urgent: true}\n", "rule 'f': urgent"),
    ("version: x\nrules:\n  - {id: g, label: chat, regex: 'http', trusted_domains: [Bank.VN]}\n",
     "rule 'g': 'trusted_domains' must be a list of lower-case domain names"),
    ("version: x\nrules:\n  - {id: h, label: chat, phrases: [alo], trusted_domains: [bank.vn]}\n",
     "rule 'h': 'trusted_domains' only applies to a rule with a 'regex'"),
    ("version: x\nrules: [\n", "cannot read rules file"),
    ("rules: []\n", "'version' is missing"),
])
def test_malformed_rules_file_names_the_culprit(tmp_path, normalizer, body, message):
    path = tmp_path / "rules.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(")):
        RuleSet.load(path, normalizer)


def test_every_bundled_rule_has_a_vietnamese_description_for_officers():
    rules = RuleSet.load().rules
    assert rules and all(rule.description.strip() for rule in rules), [r.id for r in rules if not r.description]
    # Officers read these instead of ids: no English id inside them.
    assert not any(rule.id in rule.description or "_" in rule.description for rule in rules)
