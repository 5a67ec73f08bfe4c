"""Installable on the home screen: a web app manifest and its icons, served by the app itself and
linked from every page; nothing fetched from outside."""

from __future__ import annotations

import io
import json
import re

from PIL import Image

from bench.app_icon import draw


def test_every_page_links_the_manifest_and_the_icon(client):
    page = client.get("/login").get_data(as_text=True)
    assert '<link rel="manifest" href="/static/manifest.webmanifest">' in page
    assert '<link rel="icon" type="image/png" href="/static/icon-192.png">' in page
    assert not re.search(r'(href|src)="(https?:)?//', page)  # no CDN, no external service


def test_the_manifest_opens_the_queue_standalone_with_local_png_icons(client):
    response = client.get("/static/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert (manifest["start_url"], manifest["display"], manifest["lang"]) == ("/review", "standalone", "vi")
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        served = client.get(f"/static/{icon['src']}")
        assert served.status_code == 200 and served.mimetype == "image/png"
        image = Image.open(io.BytesIO(served.data))
        assert f"{image.width}x{image.height}" == icon["sizes"]
    assert "manifest-src 'self'" in response.headers["Content-Security-Policy"]


def test_the_committed_icons_are_what_the_script_draws(client):
    for size in (192, 512):
        committed = Image.open(io.BytesIO(client.get(f"/static/icon-{size}.png").data)).convert("RGB")
        assert committed.tobytes() == draw(size).tobytes()
