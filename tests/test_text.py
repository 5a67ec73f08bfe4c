import unicodedata

import pytest
from underthesea import word_tokenize

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
