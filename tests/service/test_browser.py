"""A real browser on the real server: Debian's headless Chromium drives `triage serve` (gunicorn).

Logs in, focuses the first message of the queue, corrects its label with the keyboard, and
checks the correction reached the database. The screenshot's path is printed in the test output.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from service.db import Database
from service.schema import corrections
from service.users import create_user
from tests.service.test_gunicorn import make_token, start_servers  # noqa: F401 - the fixture is used below

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1000", "--lang=vi")


@pytest.fixture
def browser(tmp_path):
    if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
        if os.environ.get("CI"):
            pytest.fail("Chromium is required in CI (.ci/run installs chromium and chromium-driver)")
        pytest.skip("apt-get install -y chromium chromium-driver to run the browser test")
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415 - optional dev dependency

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={tmp_path / 'chromium-profile'}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_officer_corrects_a_label_with_the_keyboard(start_servers, browser, tmp_path, capsys):  # noqa: F811
    from selenium.webdriver.common.action_chains import ActionChains  # noqa: PLC0415
    from selenium.webdriver.common.by import By  # noqa: PLC0415
    from selenium.webdriver.support import expected_conditions as ec  # noqa: PLC0415
    from selenium.webdriver.support.ui import WebDriverWait  # noqa: PLC0415

    url = f"sqlite:///{tmp_path / 'browser.sqlite3'}"
    bot = make_token(url, "zalo-bot", "bot")
    db = Database(url)
    try:
        create_user(db, "can-bo-lan", "officer", "mat-khau-du-dai")
    finally:
        db.dispose()
    [server] = start_servers(url)
    urgent = requests.post(f"{server.url}/v1/classify", json={"text": "có người đang đánh nhau ở thôn Hà Nha <b>"},
                           headers=bot, timeout=10).json()
    requests.post(f"{server.url}/v1/classify", json={"text": "làm căn cước cần giấy tờ gì"}, headers=bot, timeout=10)
    assert urgent["label"] == "crime_tip" and urgent["urgent"]

    wait = WebDriverWait(browser, 20)
    browser.get(f"{server.url}/review")
    wait.until(ec.presence_of_element_located((By.ID, "login")))
    browser.find_element(By.ID, "name").send_keys("can-bo-lan")
    browser.find_element(By.ID, "password").send_keys("mat-khau-du-dai")
    browser.find_element(By.ID, "login").click()
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".row")))
    first = browser.find_elements(By.CSS_SELECTOR, ".row")[0]
    assert first.get_attribute("data-id") == urgent["message_id"]  # urgent tips come first
    assert "<b>" in first.find_element(By.CSS_SELECTOR, ".text").text  # shown as text, not markup
    first.find_element(By.CSS_SELECTOR, ".text").click()  # clicking inside the row focuses it
    assert browser.switch_to.active_element == first
    ActionChains(browser).send_keys("3").perform()  # 3 = chat
    wait.until(ec.presence_of_element_located((By.CSS_SELECTOR, ".flash.success")))
    assert "Đã lưu nhãn" in browser.find_element(By.CSS_SELECTOR, ".flash.success").text

    db = Database(url)
    try:
        with db.transaction() as conn:
            stored = conn.execute(select(corrections)).mappings().all()
    finally:
        db.dispose()
    assert [(c["message_id"], c["label"], c["created_by"], c["created_by_role"]) for c in stored] == [
        (urgent["message_id"], "chat", "can-bo-lan", "officer")]
    # In the default "unreviewed" view the corrected message left the queue and the next one has focus.
    rows = browser.find_elements(By.CSS_SELECTOR, ".row")
    assert [r.get_attribute("data-id") for r in rows] != [] and urgent["message_id"] not in {
        r.get_attribute("data-id") for r in rows}
    assert browser.switch_to.active_element == rows[0]
    screenshot = tmp_path / "review-after-correction.png"
    assert browser.save_screenshot(str(screenshot))
    with capsys.disabled():
        print(f"\nbrowser screenshot: {screenshot}")
