"""docs/deploy.md documents every setting."""

from __future__ import annotations

from pathlib import Path

import pytest

from service.settings import SETTINGS

DEPLOY = Path(__file__).resolve().parents[2] / "docs" / "deploy.md"


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.name)
def test_every_setting_is_in_the_deployment_guide(setting):
    assert f"`{setting.env}`" in DEPLOY.read_text(encoding="utf-8")
