"""Vietnamese that officers use: rule hits by their Vietnamese description, natural wording, Vietnamese
role names, dates written dd/mm/yyyy (filters included)."""

from __future__ import annotations

import re

import pytest

from tests.service import test_review
from tests.service.test_review import classify

# The review tests' fixtures: an app with a fast password hash, and a browser-like client.
app, web = test_review.app, test_review.web

STIFF = ("Hàng đợi duyệt", "Tài khoản màn hình duyệt", "Mô hình đồng ý với cán bộ", "Luật khớp", "Cần duyệt",
         "Tỉ lệ cần duyệt")


def test_rule_hits_are_shown_by_their_vietnamese_description_not_their_id(web, client, auth):
    web.user("lan")
    message_id = classify(client, auth, "nhà tôi bị trộm mất xe máy tối qua")
    web.login("lan")
    for path in ("/review", f"/messages/{message_id}"):
        page = web.client.get(path).get_data(as_text=True)
        assert "crime.theft" not in page, path
        assert '<mark title="Trộm cắp, đột nhập lấy tài sản">' in page, path
    page = web.client.get(f"/messages/{message_id}").get_data(as_text=True)
    assert re.search(r'id="rules">\s*<span class="rule">Trộm cắp, đột nhập lấy tài sản</span>', page)


def test_pages_use_natural_wording_and_vietnamese_role_names(web, client, auth):
    web.user("quan-tri", role="admin")
    web.user("lan")
    web.user("phan-tich", role="analyst")
    message_id = classify(client, auth, "có người lạ khả nghi đi quanh xóm")
    web.login("quan-tri")
    web.correct(message_id, "crime_tip")
    for path in ("/review", "/review?status=all", f"/messages/{message_id}", "/dashboard", "/admin/users",
                 "/account/password"):
        page = web.client.get(path).get_data(as_text=True)
        for phrase in STIFF:
            assert phrase not in page, (path, phrase)
        assert not re.search(r">\s*(officer|analyst|admin|bot)\s*<", page), path
    users = web.client.get("/admin/users").get_data(as_text=True)
    assert ">Cán bộ phân tích số liệu<" in users and ">Quản trị viên<" in users and ">Cán bộ<" in users


@pytest.mark.parametrize("written", ["02/03/2026", "2/3/2026", "2026-03-02"])
def test_filter_dates_are_written_day_month_year(web, client, auth, app, written):
    web.user("lan")
    message_id = classify(client, auth, "cảm ơn các anh")
    test_review.set_message(app, message_id, received_at=test_review.datetime(2026, 3, 1, 18, 30,
                                                                              tzinfo=test_review.UTC))
    web.login("lan")
    page = web.client.get(f"/review?from={written}&to={written}").get_data(as_text=True)
    assert re.findall(r'data-id="([0-9a-f]{32})"', page) == [message_id]
    assert 'type="date"' not in page
    assert 'name="from" inputmode="numeric" placeholder="dd/mm/yyyy"' in page and 'value="02/03/2026"' in page


@pytest.mark.parametrize("written", ["31/02/2026", "02-03-2026", "3/2026", "hôm qua"])
def test_impossible_dates_are_a_400_page_saying_how_to_write_them(web, written):
    web.user("lan")
    web.login("lan")
    response = web.client.get(f"/review?from={written}")
    assert response.status_code == 400 and response.mimetype == "text/html"
    assert "ví dụ 02/03/2026" in response.get_data(as_text=True)
