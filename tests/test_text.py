import unicodedata
from pathlib import Path

import pandas as pd
import pytest
from underthesea import word_tokenize
from underthesea.pipeline.word_tokenize import regex_tokenize

from triage.text import TextNormalizer, memory_key, strip_accents


@pytest.mark.parametrize("typed, expected", [
    ("Hoá đơn", ("hóa", "đơn")),                                   # old-style tone placement
    ("Hóa đơn", ("hóa", "đơn")),
    (unicodedata.normalize("NFD", "Hoá đơn"), ("hóa", "đơn")),      # decomposed Unicode
    ("THUỶ LỢI", ("thủy", "lợi")),
    ("ko biết", ("không", "biết")),                                # teencode
    ("làm cccd ntn", ("làm", "căn", "cước", "công", "dân", "như", "thế", "nào")),
    ("chừ răng rứa", ("bây", "giờ", "răng", "thế")),              # Central dialect
    ("", ()),
    ("😀😀", ("😀", "😀")),
])
def test_normalize_syllables(normalizer, typed, expected):
    assert normalizer.normalize(typed).syllables == expected


@pytest.mark.parametrize("text, plain", [
    ("Đăng ký tạm trú", "Dang ky tam tru"),
    ("đường ĐT609", "duong DT609"),
    ("toi muon lam can cuoc", "toi muon lam can cuoc"),
])
def test_strip_accents(text, plain):
    assert strip_accents(text) == plain


def test_accent_free_form_is_lower_case_and_expanded(normalizer):
    assert normalizer.normalize("Công an XÃ ơi, k có gì").accent_free == "cong an xa oi , khong co gi"


def test_spans_point_at_the_original_characters(normalizer):
    text = "Nhà em ở thôn 3, sđt 0905123456"
    message = normalizer.normalize(text)
    for syllable, (start, end) in zip(message.syllables, message.spans):
        if syllable not in ("số", "điện", "thoại"):
            assert strip_accents(text[start:end]).lower() == strip_accents(syllable)
    expanded = [span for syllable, span in zip(message.syllables, message.spans) if syllable == "điện"]
    assert text[slice(*expanded[0])] == "sđt"


def test_words_match_underthesea_word_tokenize(normalizer):
    text = "bác sĩ bây giờ có thể thản nhiên báo tin bệnh nhân bị ung thư"
    expected = [w.replace(" ", "_") for w in word_tokenize(text)]
    assert list(normalizer.normalize(text).words) == expected


def token_spans(message):
    """The spans of the message's tokens (a teencode token's syllables share one span)."""
    return [span for i, span in enumerate(message.spans) if i == 0 or span != message.spans[i - 1]]


EDGE_CASES = [
    "ABC.", "ABC. ", "ABC.\n", "ABC.\n ", "ABC.\r\n", "x ABC. y", "CA xã. Gấp",  # "[A-ZĐ]+\.(?!$)"
    ":D", "a :D", ":D ", ":D\n", "=)) <3 ",                                           # ":D+(?=\s)", ":D+(?=$)"
    "Th S", "Th\tS", "Th s", "Th\nS", "anh Th Sơn báo", "Th.S Lan",                    # "Th.S": '.' is any but "\n"
    "http://x.vn/a b", "mail x@y.com, gọi", "H&M", "v.v... ", "1.600m-2.000m", "92E1-123.45", "a\u00a0b\u2028c",
    "", " ", "\n", "  x  ",
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_tokens_are_those_of_one_regex_pass_over_the_whole_text(normalizer, text):
    """Normalization tokenizes each whitespace-separated run on its own (cached); the tokens must be
    those of underthesea's regex over the whole message, edge cases of its lookarounds included."""
    whole = [match.span() for match in regex_tokenize.patterns.finditer(text)]
    assert token_spans(normalizer.normalize(text)) == whole


def test_tokens_of_the_dev_messages_are_those_of_one_regex_pass(normalizer):
    texts = pd.read_csv(Path(__file__).resolve().parent.parent / "training_data" / "dev.csv", dtype=str,
                        keep_default_na=False)["text"]
    for text in map(unicodedata.normalize, ["NFC"] * len(texts), texts):
        assert token_spans(normalizer.normalize(text)) == [m.span() for m in regex_tokenize.patterns.finditer(text)]


def test_length_cap_bounds_the_work():
    short = TextNormalizer(max_chars=20)
    message = short.normalize("trộm " * 100)
    assert message.truncated
    assert len(message.text) == 20
    assert max(end for _, end in message.spans) <= 20


def test_length_cap_must_be_positive():
    with pytest.raises(Exception, match="max_chars"):
        TextNormalizer(max_chars=0)


@pytest.mark.parametrize("variant", [
    "Nhà tôi bị trộm xe máy!",
    "nhà   tôi bị trộm\txe máy",
    "NHÀ TÔI BỊ TRỘM XE MÁY",
    "nha toi bi trom xe may",
    unicodedata.normalize("NFD", "nhà tôi bị trộm xe máy."),
    "nhà tôi , bị trộm xe máy ...",
])
def test_memory_key_ignores_spacing_case_accents_and_punctuation(normalizer, variant):
    assert memory_key(normalizer.normalize(variant)) == "nha toi bi trom xe may"


@pytest.mark.parametrize("text", ["", "   ", "!!!", "😀"])
def test_memory_key_of_a_message_without_words_is_empty(normalizer, text):
    assert memory_key(normalizer.normalize(text)) == ""
