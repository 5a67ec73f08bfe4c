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


def tiny_train(path: Path) -> Path:
    """Write a 36-row training CSV (every label, urgent and two procedure ids) to `path`."""
    rows = ["text,label,urgent,procedure_id"]
    for i in range(6):
        rows += [f"nhà số {i} bị trộm xe máy,crime_tip,0,", f"đang đánh nhau ở chợ số {i} cứu với,crime_tip,1,",
                 f"tách hộ cho con thứ {i},procedure,0,tach_ho",
                 f"làm căn cước cho bé {i} tuổi,procedure,0,cap_can_cuoc",
                 f"chào anh {i} nha,chat,0,", f"cảm ơn {i} lần,chat,0,"]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path
