"""The one redaction policy: what is masked (and what stays readable), for whom, in every channel."""

from __future__ import annotations

import re

import pytest

from service.exports import corrections_frame
from service.pages.highlight import highlight
from service.redaction import mask, redact, redact_result, sensitive_spans
from tests.service.test_access import FAST_HASH, login


@pytest.mark.parametrize(("text", "hidden", "placeholder"), [
    ("CCCD 049 203 001 234", "049 203 001 234", "[SỐ GIẤY TỜ]"),
    ("CCCD 049.203.001.234", "049.203.001.234", "[SỐ GIẤY TỜ]"),
    ("số 0492-0300-1235", "0492-0300-1235", "[SỐ GIẤY TỜ]"),
    ("gọi (091) 234-5679 nhé", "(091) 234-5679", "[SĐT]"),
    ("gọi 0912  345  678", "0912  345  678", "[SĐT]"),
    ("gọi 0912.345.678", "0912.345.678", "[SĐT]"),
    ("gọi +84 912 345 678", "+84 912 345 678", "[SĐT]"),
    ("sđt ０９１２３４５６７８", "０９１２３４５６７８", "[SĐT]"),
    ("sđt 0912３45678", "0912３45678", "[SĐT]"),
    ("sdt0912345678", "0912345678", "[SĐT]"),
    ("CMND 201234567", "201234567", "[SỐ GIẤY TỜ]"),
    ("CCCD 048095001234", "048095001234", "[SỐ GIẤY TỜ]"),
    ("mã 12345678901234", "12345678901234", "[DÃY SỐ]"),
    ("xe 92E1.123.46 bị lấy", "92E1.123.46", "[BIỂN SỐ]"),
    ("xe 92E1-12346 bị lấy", "92E1-12346", "[BIỂN SỐ]"),
    ("xe 43A-123.45 bị lấy", "43A-123.45", "[BIỂN SỐ]"),
    ("xe 29 A1 123.45 bị lấy", "29 A1 123.45", "[BIỂN SỐ]"),
    ("xe 92E1-123.45 bị lấy", "92E1-123.45", "[BIỂN SỐ]"),
    ("xe 51G-1234 bị lấy", "51G-1234", "[BIỂN SỐ]"),
    ("xe biển 29a1 12345", "29a1 12345", "[BIỂN SỐ]"),
    ("xe biển 92 e1 12345", "92 e1 12345", "[BIỂN SỐ]"),
    ("xe 29MĐ1-123.45", "29MĐ1-123.45", "[BIỂN SỐ]"),
    ("stk: 12345678 Vietcombank", "12345678", "[SỐ TÀI KHOẢN]"),
    ("số tài khoản 1903 5678 nhé", "1903 5678", "[SỐ TÀI KHOẢN]"),
    ("so tai khoan la 1903-5678", "1903-5678", "[SỐ TÀI KHOẢN]"),
    ("chuyển vào tk 0071000123456", "0071000123456", "[SỐ TÀI KHOẢN]"),
    ("so\u0302\u0301 ta\u0300i khoa\u0309n 12345678", "12345678", "[SỐ TÀI KHOẢN]"),  # decomposed accents
    ("vào https://bit.ly/nhan-qua?sdt=0912345678&ma=123 để nhận", "sdt=0912345678&ma=123", "[THAM SỐ]"),
    ("xem www.vay-nhanh.vn/dk?cccd=001203004567", "cccd=001203004567", "[THAM SỐ]"),
    ("link vaytien.xyz/form?id=abc#ten=Lan", "id=abc#ten=Lan", "[THAM SỐ]"),
])
def test_sensitive_formats_are_masked(text, hidden, placeholder):
    masked = mask(text)
    assert hidden not in masked and placeholder in masked, masked
    assert re.sub(r"\D", "", masked) == re.sub(r"\D", "", text.replace(hidden, "")) or placeholder == "[THAM SỐ]"


@pytest.mark.parametrize("text", [
    "hẹn ngày 30/11/2026 lúc 10:30",
    "hạn nộp 30.11.2026 10.30 sáng",
    "sinh ngày 01-02-1990",
    "mất 500.000 đồng",
    "bị lừa 1.500.000.000 đồng",
    "chuyển vào tài khoản 2.500.000 đ rồi",
    "nhà ở thôn 3, tổ 12",
    "khoảng 14h30 hôm qua",
    "năm 2026 có 365 ngày",
    "cách 20 m 300 mét nữa",
    "tài khoản Zalo bị hack",
    "mã hồ sơ 12345678",
    "https://dichvucong.gov.vn/p/home/dvc-trang-chu.html",
    "lam cccd cho con 14t can gi",
    "",
])
def test_ordinary_numbers_dates_and_money_stay_readable(text):
    assert mask(text) == text
    assert sensitive_spans(text) == []


@pytest.mark.parametrize("text", [
    "xe 92E1-123.45 trộm đồ, gọi 0912345678, căn cước 048095001234",
    "biển 43-A1 12345 và 92H1 12345, 51F-123.45 gọi +84 905 111 222 hoặc 84905111222",
    "số 0905.111.222 hay 0905-111-222, cmnd 201234567, xe 92 e1 12345",
])
def test_every_number_the_engine_finds_is_masked(engine, text):
    found = [e for e in engine.classify(text).entities if e.kind != "hamlet"]
    assert found
    for entity in found:
        assert entity.text not in mask(text), entity


@pytest.mark.parametrize(("role", "masked"), [("officer", False), ("admin", False), ("analyst", True),
                                              ("bot", True), (None, True), ("chief", True)])
def test_only_officers_and_admins_see_full_text(role, masked):
    text = "gọi 049 203 001 234"
    assert (redact(text, role) != text) is masked
    assert redact(None, role) is None


def test_a_structured_result_is_redacted_in_reasons_entities_and_reply():
    url = "https://bit.ly/qua?sdt=0912345678"
    result = {"label": "crime_tip", "model_version": "20261129-22bc0f7a",
              "reasons": [{"kind": "rule", "rule_id": "suspicious_link", "matched": url, "span": [4, 4 + len(url)]},
                          {"kind": "model", "scores": {"crime_tip": 0.9}}],
              "entities": [{"kind": "phone", "text": "0912345678", "span": [0, 10], "value": "0912345678"},
                           {"kind": "hamlet", "text": "thôn Đông", "span": [11, 20], "value": "dong"}],
              "route": {"queue": "crime_tips", "reply": "Đã nhận tin 0912345678",
                        "notify": [{"name": "Trực ban", "phone": "0235 3812 345"}]}}
    shown = redact_result(result, "analyst")
    assert shown["reasons"][0]["matched"] == "https://bit.ly/qua?[THAM SỐ]"
    assert shown["reasons"][1] == result["reasons"][1]
    assert shown["entities"][0]["text"] == shown["entities"][0]["value"] == "[SĐT]"
    assert shown["entities"][1] == result["entities"][1]
    assert shown["route"]["reply"] == "Đã nhận tin [SĐT]"
    assert shown["route"]["notify"] == result["route"]["notify"], "officers' own contacts stay"
    assert shown["model_version"] == result["model_version"]
    assert redact_result(result, "officer") is result


def test_highlights_stay_aligned_and_wrap_what_they_touch_when_masked():
    text = "cứu với 0912 345 678 xem https://bit.ly/a?b=1 nhé"
    url_start = text.index("https")
    reasons = [{"kind": "rule", "rule_id": "cuu", "span": [0, 7]},
               {"kind": "rule", "rule_id": "link", "span": [url_start, url_start + len("https://bit.ly/a?b=1")]},
               {"kind": "rule", "rule_id": "so", "span": [text.index("345"), text.index("345") + 3]}]
    assert str(highlight(text, reasons, redacted=True)) == (
        '<mark title="cuu">cứu với</mark> <mark title="so">[SĐT]</mark> xem '
        '<mark title="link">https://bit.ly/a?[THAM SỐ]</mark> nhé')
    assert str(highlight(text, reasons)) == (
        '<mark title="cuu">cứu với</mark> 0912 <mark title="so">345</mark> 678 xem '
        '<mark title="link">https://bit.ly/a?b=1</mark> nhé')


# --- every channel -------------------------------------------------------------------------------

# The issue's examples, each as a citizen might send it.
EXAMPLES = ("CCCD 049 203 001 234", "hoặc 049.203.001.234", "số 0492-0300-1235", "gọi (091) 234-5679",
            "hay 0912  345  678", "xe 92E1.123.46", "sđt ０９１２３４５６７８",
            "vào https://bit.ly/nhan-qua?sdt=0912345678 lấy quà")
MESSAGE = "Tôi bị lừa, " + ", ".join(EXAMPLES)
NOTE = "người báo: " + ", ".join(EXAMPLES)
# Pieces of each example that must not reach an analyst (HTML-escaped forms are the same here).
LEAKS = ("203 001", "001 234", "203.001", "0300-1235", "234-5679", "345  678", "345 678", "123.46", "92E1",
         "０９１２", "sdt=", "0912345678")


@pytest.fixture
def app(make_app):
    return make_app(PASSWORD_HASH=FAST_HASH)


@pytest.fixture
def stored(app, client, auth) -> str:
    """A message quoting every example, its URL rule firing, with an officer's note quoting them again."""
    result = client.post("/v1/classify", json={"text": MESSAGE}, headers=auth.headers()).get_json()
    assert any(r.get("matched", "").startswith("https://bit.ly/") for r in result["reasons"]), result["reasons"]
    response = client.post(f"/v1/messages/{result['message_id']}/label", json={"label": "crime_tip", "note": NOTE},
                           headers=auth.headers("officer"))
    assert response.status_code == 201
    return result["message_id"]


def _assert_no_leak(body: str, where: str) -> None:
    for leak in LEAKS:
        assert leak not in body, (where, leak)


@pytest.mark.parametrize("page", ["/review?status=all", "/messages/{id}"])
def test_the_issue_examples_are_masked_on_pages_for_analysts_only(app, stored, page):
    path = page.format(id=stored)
    analyst = login(app, "an", "analyst").get(path).get_data(as_text=True)
    _assert_no_leak(analyst, path)
    assert "[SĐT]" in analyst and "[BIỂN SỐ]" in analyst and "[THAM SỐ]" in analyst
    officer = login(app, "lan", "officer").get(path).get_data(as_text=True)
    assert "(091) 234-5679" in officer and "92E1.123.46" in officer and "sdt=0912345678" in officer


def test_the_issue_examples_are_masked_in_the_api_for_analysts_only(client, auth, stored):
    analyst = client.get(f"/v1/messages/{stored}", headers=auth.headers("analyst"))
    assert analyst.status_code == 200
    _assert_no_leak(analyst.get_data(as_text=True), "api")
    body = analyst.get_json()
    assert "https://bit.ly/nhan-qua?[THAM SỐ]" in [r.get("matched") for r in body["result"]["reasons"]]
    assert body["corrections"][0]["note"].count("[SĐT]") == 3
    officer = client.get(f"/v1/messages/{stored}", headers=auth.headers("officer")).get_json()
    assert officer["text"] == MESSAGE and officer["corrections"][0]["note"] == NOTE
    admin = client.get(f"/v1/messages/{stored}", headers=auth.headers("admin")).get_json()
    assert admin["text"] == MESSAGE


def test_the_issue_examples_are_masked_in_notes_on_the_message_page(app, stored):
    page = login(app, "an", "analyst").get(f"/messages/{stored}").get_data(as_text=True)
    history = page[page.index("Lịch sử duyệt"):]
    assert "người báo: CCCD [SỐ GIẤY TỜ]" in history
    _assert_no_leak(history, "notes")


def test_the_issue_examples_are_masked_in_export_corrections(app, stored, runner, tmp_path):
    out = tmp_path / "corrections.csv"
    assert runner("export-corrections", "--out", str(out)).exit_code == 0
    exported = out.read_text(encoding="utf-8")
    _assert_no_leak(exported, "export")
    assert "[THAM SỐ]" in exported and "[BIỂN SỐ]" in exported
    assert corrections_frame(app.extensions["triage.db"]).iloc[0]["text"] == mask(MESSAGE)
