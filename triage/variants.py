"""Generated variants of hand-written messages: accent-free, teencode and typos (deterministic).

Citizens type the same message in many ways; each variant keeps the label of its source row.
"""

from __future__ import annotations

import random
import re

from triage.text import strip_accents

# Standard words -> how people abbreviate them on a phone (reverse of teencode.yaml, the
# common ones only). Multi-word entries first so they win over their parts.
_ABBREVIATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("căn cước công dân", ("cccd", "CCCD")),
    ("chứng minh nhân dân", ("cmnd", "CMND")),
    ("công an xã", ("cax", "ca xã", "CA xã")),
    ("như thế nào", ("ntn", "ntn", "thế nào")),
    ("bao nhiêu", ("bn", "bnhiu", "bao nhiu")),
    ("số điện thoại", ("sđt", "sdt")),
    ("đăng ký", ("đk", "dk", "đky")),
    ("không", ("ko", "k", "hok", "khg")),
    ("được", ("đc", "dc", "dk")),
    ("gì", ("j", "gi")),
    ("với", ("vs", "voi")),
    ("rồi", ("r", "roi")),
    ("vậy", ("z", "v", "zậy")),
    ("người", ("ng", "ngừi")),
    ("mọi người", ("mn", "mng")),
    ("anh", ("a",)),
    ("em", ("e",)),
    ("trước", ("trc",)),
    ("cũng", ("cx", "cũg")),
    ("biết", ("bít", "bik")),
    ("đang", ("đag", "dag")),
    ("nhiều", ("nhìu",)),
    ("quá", ("wá", "qá")),
    ("thủ tục", ("tt", "thủ tục")),
    ("hồ sơ", ("hs", "hồ sơ")),
    ("chồng", ("ck",)),
    ("vợ", ("vk",)),
)
_PATTERNS = [(re.compile(r"(?<!\w)" + re.escape(word) + r"(?!\w)", re.IGNORECASE), choices)
             for word, choices in _ABBREVIATIONS]
_KEYBOARD_NEIGHBOURS = {"a": "sq", "e": "wr", "i": "uo", "o": "ip", "u": "yi", "n": "bm", "m": "n",
                        "h": "gj", "t": "ry", "c": "xv", "g": "fh", "d": "sf", "r": "et", "s": "ad"}


def accent_free(text: str, rng: random.Random) -> str:
    """The message typed without diacritics (often also lower-case)."""
    plain = strip_accents(text)
    return plain.lower() if rng.random() < 0.6 else plain


def teencode(text: str, rng: random.Random) -> str:
    """The message with common abbreviations, lower-case, little punctuation."""
    out = text
    for pattern, choices in _PATTERNS:
        out = pattern.sub(lambda match, options=choices: rng.choice(options) if rng.random() < 0.8
                          else match.group(0), out)
    out = out.lower()
    if rng.random() < 0.5:
        out = re.sub(r"[.,!?;:]+", " ", out)
    return re.sub(r"\s+", " ", out).strip()


def typos(text: str, rng: random.Random) -> str:
    """The message with a few slips: swapped, dropped, doubled or neighbouring letters."""
    words = text.split()
    if not words:
        return text
    for _ in range(max(1, len(words) // 8)):
        index = rng.randrange(len(words))
        word = words[index]
        if len(word) < 3:
            continue
        position = rng.randrange(len(word) - 1)
        kind = rng.choice(("swap", "drop", "double", "neighbour"))
        if kind == "swap":
            word = word[:position] + word[position + 1] + word[position] + word[position + 2:]
        elif kind == "drop":
            word = word[:position] + word[position + 1:]
        elif kind == "double":
            word = word[:position] + word[position] + word[position:]
        else:
            near = _KEYBOARD_NEIGHBOURS.get(word[position].lower())
            if near:
                word = word[:position] + rng.choice(near) + word[position + 1:]
        words[index] = word
    out = " ".join(words)
    if rng.random() < 0.3:
        out = strip_accents(out)  # many slips come with diacritics switched off
    return out


GENERATORS = {"accent_free": accent_free, "teencode": teencode, "typos": typos}


def make_variants(text: str, style: str, rng: random.Random, count: int = 2) -> list[tuple[str, str]]:
    """Up to `count` distinct variants `(kind, text)` of one message, none equal to it."""
    kinds = ["teencode", "typos"] if style in ("unaccented", "teencode") else ["accent_free", "teencode", "typos"]
    rng.shuffle(kinds)
    out: list[tuple[str, str]] = []
    seen = {text.strip().lower()}
    for kind in kinds:
        if len(out) >= count:
            break
        variant = GENERATORS[kind](text, rng)
        key = variant.strip().lower()
        if variant.strip() and key not in seen:
            seen.add(key)
            out.append((kind, variant))
    return out
