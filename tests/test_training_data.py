"""The shipped training data: size, coverage, and no overlap with dev or the evaluation set."""

import pandas as pd
import pytest

from tests.conftest import ROOT, SHARED
from triage.datasets import read_labeled, text_key
from triage.procedures import PROCEDURE_IDS

DATA = ROOT / "training_data"


@pytest.fixture(scope="module")
def train():
    return read_labeled(DATA / "train.csv")


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


def test_dev_split_shares_no_message_with_training(train):
    dev_keys = set(read_labeled(DATA / "dev.csv")["text"].map(text_key))
    assert not dev_keys & set(train["text"].map(text_key))


@pytest.mark.parametrize("relative", ["eval/public.csv", "eval/intent.csv", "realdata/sms_scam_ie403_crowdsourced.csv",
                                      "realdata/sms_spam_lekhang.csv", "realdata/uit_vsmec_comments.csv",
                                      "realdata/zalo_legal_2021_questions.csv"])
def test_evaluation_sets_are_never_in_training_data(train, relative):
    path = SHARED / relative
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared is not beside this checkout (an outside contributor's clone)")
    measured = pd.read_csv(path, dtype=str, keep_default_na=False)
    leaked = set(measured["text"].map(text_key)) & set(train["text"].map(text_key))
    assert not leaked
