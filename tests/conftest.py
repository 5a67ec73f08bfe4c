"""Shared fixtures: one normalizer, rule set and engine per test session (loading costs ~2 s)."""

from pathlib import Path

import pytest

from triage import Triage
from triage.rules import RuleSet
from triage.text import TextNormalizer

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"


@pytest.fixture(scope="session")
def normalizer() -> TextNormalizer:
    return TextNormalizer()


@pytest.fixture(scope="session")
def rules(normalizer) -> RuleSet:
    return RuleSet.load(normalizer=normalizer)


@pytest.fixture(scope="session")
def engine() -> Triage:
    return Triage.load()
