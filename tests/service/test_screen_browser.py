"""The review screen in a real browser (headless Chromium) on the real server (`triage serve`, gunicorn):
desktop 1280 × 800 first, then phones 390 × 844 and 360 wide. No sideways scroll, queue controls of
at least 44 × 44 CSS px, urgent tips oldest first, the live queue, the toast's undo.

One server and one browser session for the module; the queue polls every second here.
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta

import pytest
import requests
from sqlalchemy import select, update

from bench import browser as chromium
from service.db import Database
from service.schema import acknowledgements, corrections, messages
from service.users import create_user
from tests.service.test_gunicorn import Server, make_token
from triage.engine import default_models_dir

PASSWORD = "mat-khau-du-dai"
TIPS = ["cháy nhà ở thôn Hà Nha có người mắc kẹt bên trong cứu với",
        "có thằng say rượu cầm súng đứng trước cổng nhà tôi",
        "có người đánh nhau ở chợ, cứu với"]
OTHERS = ["nhà em bị trộm xe máy tối qua", "làm căn cước cho con 14 tuổi cần giấy tờ gì", "cảm ơn các anh",
          "đăng ký tạm trú cho người thuê trọ làm thế nào"]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A gunicorn server with an officer, some urgent tips (oldest first: the surest arrived first) and others."""
    if not chromium.available():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (.ci/run installs chromium and chromium-driver)")
        pytest.skip("apt-get install -y chromium chromium-driver to run the browser tests")
    pytest.importorskip("selenium.webdriver")
    tmp = tmp_path_factory.mktemp("screen")
    url = f"sqlite:///{tmp / 'screen.sqlite3'}"
    bot = make_token(url, "zalo-bot", "bot")
    db = Database(url)
    create_user(db, "can-bo-lan", "officer", PASSWORD)
    create_user(db, "quan-tri", "admin", PASSWORD)
    inherited = {k: v for k, v in os.environ.items() if not k.startswith(("TRIAGE_", "PROMETHEUS_"))}
    server = Server({**inherited, "TRIAGE_DATABASE_URL": url, "TRIAGE_MODELS_DIR": str(default_models_dir()),
                     "TRIAGE_INSTANCE_PATH": str(tmp / "instance"), "TRIAGE_SECRET_KEY": "screen-test",
                     "TRIAGE_REVIEW_POLL_SECONDS": "1"}, 1, tmp / "server.log")
    driver = None
    try:
        server.wait_ready()
        ids = {}
        for text in TIPS + OTHERS:
            answer = requests.post(f"{server.url}/v1/classify", json={"text": text}, headers=bot, timeout=10).json()
            ids[text] = answer["message_id"]
        now = datetime.now(UTC)
        with db.transaction() as conn:  # arrival times: TIPS[0] waited longest; the others are older still
            for minutes, text in zip((50, 30, 10), TIPS, strict=True):
                conn.execute(update(messages).where(messages.c.id == ids[text])
                             .values(urgent=True, received_at=now - timedelta(minutes=minutes)))
            for text in OTHERS:
                conn.execute(update(messages).where(messages.c.id == ids[text])
                             .values(urgent=False, received_at=now - timedelta(hours=2)))
        driver = chromium.start_chromium(tmp / "profile")
        chromium.log_in(driver, server.url, "can-bo-lan", PASSWORD)
        yield {"url": server.url, "driver": driver, "db": db, "bot": bot, "ids": ids}
    finally:
        if driver is not None:
            driver.quit()
        server.stop()
        db.dispose()


def wait_for(condition, timeout: float = 15.0, step: float = 0.2):
    """Poll `condition` until it returns something truthy; that value (fails after `timeout` s)."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value or time.monotonic() > deadline:
            assert value, f"not within {timeout} s"
            return value
        time.sleep(step)


def ids_in(driver, selector: str) -> list[str]:
    return driver.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll(arguments[0]), function (e) {"
        " return e.getAttribute('data-id'); })", selector)


def visible(driver, selector: str) -> bool:
    return driver.execute_script("var e = document.querySelector(arguments[0]);"
                                 "return !!e && e.checkVisibility() && e.getBoundingClientRect().height > 0", selector)


PAGES = ("/review", "/review?status=all", "/dashboard", "/account/password")


def test_desktop_shows_the_shortcut_hint_and_the_filters_and_never_scrolls_sideways(site):
    driver = site["driver"]
    chromium.emulate(driver, **chromium.DESKTOP)
    for path in PAGES + (f"/messages/{site['ids'][TIPS[0]]}",):
        driver.get(site["url"] + path)
        assert chromium.sideways_overflow(driver) <= 0, path
    driver.get(site["url"] + "/review")
    assert visible(driver, "p.key-hint") and visible(driver, ".row kbd.key-hint")
    assert driver.execute_script("return document.getElementById('filters').open")


@pytest.mark.parametrize("size", [chromium.PHONE, chromium.NARROW_PHONE], ids=["390x844", "360x740"])
def test_phones_never_scroll_sideways_and_queue_controls_are_44_px(site, size):
    driver = site["driver"]
    chromium.emulate(driver, **size)
    for path in PAGES + (f"/messages/{site['ids'][TIPS[0]]}",):
        driver.get(site["url"] + path)
        assert chromium.sideways_overflow(driver) <= 0, path
    driver.get(site["url"] + "/review?status=all")
    assert len(ids_in(driver, ".row")) == len(TIPS) + len(OTHERS)
    assert chromium.small_controls(driver) == []
    assert not visible(driver, "p.key-hint") and not visible(driver, ".row kbd.key-hint")
    assert not driver.execute_script("return document.getElementById('filters').open")  # folded
    assert visible(driver, "#filters > summary") and not visible(driver, ".filters select")


def test_urgent_tips_waiting_come_first_oldest_first_with_their_wait(site):
    driver = site["driver"]
    chromium.emulate(driver, **chromium.PHONE)
    driver.get(site["url"] + "/review")
    assert ids_in(driver, "#urgent-section .row") == [site["ids"][text] for text in TIPS]
    waits = driver.execute_script("return Array.prototype.map.call(document.querySelectorAll("
                                  "'#urgent-section .badge.wait'), function (e) { return e.textContent; })")
    assert waits == ["Chờ 50 phút", "Chờ 30 phút", "Chờ 10 phút"]
    assert driver.title.startswith("(3) ")


def test_a_new_message_appears_and_a_new_urgent_tip_alerts_within_15_seconds(site):
    driver = site["driver"]
    chromium.emulate(driver, **chromium.PHONE)
    driver.get(site["url"] + "/review")
    shown = ids_in(driver, ".row")
    started = time.monotonic()
    answer = requests.post(f"{site['url']}/v1/classify", json={"text": "cứu với có cướp cầm dao ở chợ"},
                           headers=site["bot"], timeout=10).json()
    assert answer["urgent"]
    wait_for(lambda: answer["message_id"] in ids_in(driver, "#urgent-section .row"))
    assert time.monotonic() - started < 15
    assert set(shown) < set(ids_in(driver, ".row"))  # nothing lost, no reload needed
    assert visible(driver, "#live") and "tin khẩn" in driver.find_element("id", "live-text").text
    wait_for(lambda: driver.title.startswith("(4) "))


def test_a_label_shows_a_toast_whose_undo_really_reverts(site):
    driver = site["driver"]
    chromium.emulate(driver, **chromium.PHONE)
    driver.get(site["url"] + "/review")
    first = site["ids"][TIPS[0]]
    row = driver.find_element("css selector", f'.row[data-id="{first}"]')
    row.find_element("css selector", 'button[value="chat"]').click()
    wait_for(lambda: visible(driver, "#toast") and first not in ids_in(driver, ".row"), timeout=10)
    assert "Đã lưu nhãn" in driver.find_element("id", "toast-text").text
    toast = driver.execute_script("var b = document.getElementById('toast').getBoundingClientRect();"
                                  "return [b.top, b.bottom, window.innerHeight]")
    assert 0 <= toast[0] and toast[1] <= toast[2]  # on screen, not above it
    with site["db"].transaction() as conn:
        assert conn.execute(select(acknowledgements.c.message_id)).scalars().all() == [first]
    driver.find_element("id", "toast-undo").click()
    wait_for(lambda: first in ids_in(driver, "#urgent-section .row"), timeout=10)
    assert "Đã hoàn tác" in driver.find_element("id", "toast-text").text
    with site["db"].transaction() as conn:
        rows = conn.execute(select(corrections.c.label, corrections.c.reverts)
                            .where(corrections.c.message_id == first).order_by(corrections.c.id)).all()
        withdrawn = conn.execute(select(acknowledgements.c.withdraws)).scalars().all()
    assert [label for label, _ in rows] == ["chat", "crime_tip"] and rows[1][1] is not None
    assert withdrawn[-1] is not None


def test_the_keyboard_labels_and_undoes_on_a_desktop(site):
    from selenium.webdriver.common.action_chains import ActionChains  # noqa: PLC0415

    driver = site["driver"]
    chromium.emulate(driver, **chromium.DESKTOP)
    driver.get(site["url"] + "/review")
    target = site["ids"][OTHERS[0]]
    row = driver.find_element("css selector", f'#queue-section .row[data-id="{target}"]')
    row.find_element("css selector", ".text").click()  # clicking inside an item focuses it
    assert driver.switch_to.active_element == row
    ActionChains(driver).send_keys("3").perform()  # 3 = chat
    wait_for(lambda: target not in ids_in(driver, ".row"), timeout=10)
    assert "Đã lưu nhãn “Trò chuyện, khác”" in driver.find_element("id", "toast-text").text
    ActionChains(driver).send_keys("u").perform()
    wait_for(lambda: target in ids_in(driver, ".row"), timeout=10)
    with site["db"].transaction() as conn:
        labels = conn.execute(select(corrections.c.label).where(corrections.c.message_id == target)
                              .order_by(corrections.c.id)).scalars().all()
    assert labels[0] == "chat" and len(labels) == 2


@pytest.mark.parametrize("size", [chromium.PHONE, chromium.NARROW_PHONE], ids=["390x844", "360x740"])
def test_the_admin_page_fits_a_phone_with_every_button_reachable(site, size):
    driver = site["driver"]
    driver.delete_all_cookies()
    chromium.log_in(driver, site["url"], "quan-tri", PASSWORD)
    chromium.emulate(driver, **size)
    driver.get(site["url"] + "/admin/users")
    assert chromium.sideways_overflow(driver) <= 0
    sizes = driver.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('table.users button'), function (b) {"
        " var r = b.getBoundingClientRect(); return [b.textContent, r.left, r.right, r.width, r.height]; })")
    assert {text for text, *_ in sizes} >= {"Khóa", "Cấp mật khẩu mới"}
    width = driver.execute_script("return window.innerWidth")
    assert all(left >= 0 and right <= width and w >= 44 and h >= 44 for _, left, right, w, h in sizes), sizes
