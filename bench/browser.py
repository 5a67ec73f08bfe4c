"""Headless Chromium for the review-screen tests and `python -m bench.screenshots`: one session,
resized and switched between a desktop (mouse, keyboard) and a phone (touch, coarse pointer) through
DevTools emulation."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1280,1000", "--lang=vi", "--autoplay-policy=no-user-gesture-required",
         # A desktop has a mouse (headless has no pointer at all); phone emulation below turns it into touch.
         "--blink-settings=primaryPointerType=4,availablePointerTypes=4,primaryHoverType=2,availableHoverTypes=2")
PHONE = {"width": 390, "height": 844, "mobile": True}
NARROW_PHONE = {"width": 360, "height": 740, "mobile": True}
DESKTOP = {"width": 1280, "height": 800, "mobile": False}


def available() -> bool:
    """Whether Debian's chromium and chromium-driver are installed."""
    return CHROMIUM.exists() and CHROMEDRIVER.exists()


def start_chromium(profile: Path) -> Any:
    """A headless Chromium driven by selenium, with its own profile folder."""
    from selenium import webdriver  # noqa: PLC0415 - optional dev dependency
    from selenium.webdriver.chrome.service import Service  # noqa: PLC0415

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.set_page_load_timeout(30)
    return driver


def emulate(driver: Any, width: int, height: int, mobile: bool) -> None:
    """Make the page a phone (touch, coarse pointer, no hover) or a desktop of this CSS size.

    Emulate the desktop before any phone: once touch was on, Chromium reports no pointer at all."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 2 if mobile else 1, "mobile": mobile})
    if mobile:
        driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True, "maxTouchPoints": 5})


def log_in(driver: Any, base_url: str, name: str, password: str) -> None:
    """Log in through the form."""
    from selenium.webdriver.common.by import By  # noqa: PLC0415

    driver.get(f"{base_url}/login")
    driver.find_element(By.ID, "name").send_keys(name)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.ID, "login").click()
    # click() does not wait for the form's POST: a page opened at once could race the session cookie.
    deadline = time.monotonic() + 10
    while "/login" in driver.current_url:
        if time.monotonic() > deadline:
            page = driver.find_element(By.TAG_NAME, "body").text[:200]
            raise RuntimeError(f"still on the login page after 10 s: {page}")
        time.sleep(0.05)


def sideways_overflow(driver: Any) -> int:
    """How many CSS px the page is wider than the viewport (0: no sideways scroll)."""
    return driver.execute_script("return document.documentElement.scrollWidth - window.innerWidth")


# Every control a queue item has, measured with its "more" part unfolded.
SMALL_CONTROLS_JS = """
document.querySelectorAll('.row details.more').forEach(function (d) { d.open = true; });
var small = [];
document.querySelectorAll('.row button, .row select, .row input:not([type=hidden]), .row summary, .row a')
  .forEach(function (el) {
    var box = el.getBoundingClientRect();
    if (box.width < 44 || box.height < 44) {
      small.push((el.tagName + ' ' + (el.name || el.textContent.trim().slice(0, 20))) + ' ' +
                 Math.round(box.width) + 'x' + Math.round(box.height));
    }
  });
document.querySelectorAll('.row details.more').forEach(function (d) { d.open = false; });
return small;
"""


def small_controls(driver: Any) -> list[str]:
    """Controls of queue items smaller than 44 × 44 CSS px (tag, name, size)."""
    return driver.execute_script(SMALL_CONTROLS_JS)
