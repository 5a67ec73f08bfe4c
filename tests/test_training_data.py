"""The shipped training data: size, coverage, and no overlap with the dev sets or the evaluation sets."""

import functools

import pandas as pd
import pytest

from tests.conftest import ROOT, SHARED
from triage.datasets import COLUMNS, read_labeled, text_key
from triage.procedures import PROCEDURE_IDS

DATA = ROOT / "training_data"


# dev.csv reports the model after training; dev_intent.csv (hard intent boundaries) only chooses
# thresholds and compares ideas. Neither is ever trained on.
DEV_FILES = ["dev.csv", "dev_intent.csv"]


@pytest.fixture(scope="module")
def train():
    return read_labeled(DATA / "train.csv")


@functools.cache
def _text_keys(name: str) -> frozenset[str]:
    """The comparison keys of one shipped file, read once per test session."""
    return frozenset(read_labeled(DATA / name)["text"].map(text_key))


def test_training_set_size_and_hand_written_share(train):
    assert len(train) >= 4000
    hand = train[~train["source"].str.startswith("variant:")]
    assert hand["text"].map(text_key).nunique() >= 1500


def test_every_label_and_procedure_is_covered(train):
    assert set(train["label"]) == {"crime_tip", "procedure", "chat"}
    assert set(PROCEDURE_IDS) <= set(train["procedure_id"])
    assert train[train["label"] == "crime_tip"]["urgent"].sum() > 100


def test_extras_only_on_their_labels(train):
    assert (train[train["label"] != "crime_tip"]["urgent"] == 0).all()
    assert (train[train["label"] != "procedure"]["procedure_id"] == "").all()


@pytest.mark.parametrize("dev_file", DEV_FILES)
def test_dev_split_shares_no_message_with_training(dev_file):
    overlap = _text_keys(dev_file) & _text_keys("train.csv")
    assert not overlap


@pytest.mark.parametrize("dev_file", DEV_FILES)
def test_dev_split_columns_and_extras(dev_file):
    raw = pd.read_csv(DATA / dev_file, dtype=str, keep_default_na=False)
    assert list(raw.columns) == COLUMNS
    crime = raw["label"] == "crime_tip"
    assert set(raw[crime]["urgent"]) == {"0", "1"}
    assert (raw[~crime]["urgent"] == "").all()
    assert set(raw[raw["label"] == "procedure"]["procedure_id"]) <= set(PROCEDURE_IDS) | {""}
    assert (raw[raw["label"] != "procedure"]["procedure_id"] == "").all()
    assert set(raw["style"]) <= {"accented", "unaccented", "teencode", "dialect", "mixed"}


@pytest.mark.parametrize("relative", ["eval/public.csv", "eval/intent.csv", "realdata/sms_scam_ie403_crowdsourced.csv",
                                      "realdata/sms_spam_lekhang.csv", "realdata/uit_vsmec_comments.csv",
                                      "realdata/zalo_legal_2021_questions.csv"])
@pytest.mark.parametrize("ours", ["train.csv", "dev_intent.csv"])
def test_evaluation_sets_are_never_in_training_data(relative, ours):
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared is not beside this checkout (an outside contributor's clone)")
    measured = pd.read_csv(path, dtype=str, keep_default_na=False)
    leaked = set(measured["text"].map(text_key)) & _text_keys(ours)
    assert not leaked


def test_building_the_training_set_drops_rows_of_every_dev_file(tmp_path):
    from triage.datasets import build_training_set

    def write(name, texts, label="chat"):
        path = tmp_path / name
        pd.DataFrame({"text": texts, "label": label, "urgent": "", "procedure_id": "", "source": "t",
                      "style": "accented"}).to_csv(path, index=False)
        return path

    hand = write("hand.csv", ["chào anh công an", "cảm ơn các anh nhiều", "Xin chào buổi sáng"])
    dev = write("dev.csv", ["Chao anh cong an"])
    dev_intent = write("dev_intent.csv", ["cam on cac anh nhieu"])
    built = build_training_set([hand], [dev, dev_intent], variants_per_row=2)
    keys = set(built["text"].map(text_key))
    assert text_key("chào anh công an") not in keys and text_key("cảm ơn các anh nhiều") not in keys
    assert text_key("Xin chào buổi sáng") in keys
