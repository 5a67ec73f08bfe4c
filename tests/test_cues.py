"""Cue families (triage/data/cues.yaml): what they find, and how a malformed file is refused."""

from __future__ import annotations

import pytest
import yaml

from triage.cues import FAMILIES, CueSet
from triage.errors import ConfigError


@pytest.fixture(scope="module")
def cues(normalizer) -> CueSet:
    return CueSet.load(normalizer=normalizer)


@pytest.mark.parametrize("text, families", [
    ("nhà em ở thôn 3 bị trộm xe máy tối qua", {"involvement", "time_past"}),
    ("nha em o thon 3 bi trom xe may toi qua", {"involvement", "time_past"}),            # no diacritics
    ("nhà em bị trộm xe máy hqua", {"involvement", "time_past"}),                        # teencode
    ("đọc báo thấy vụ cướp tiệm vàng mà sợ", {"distance"}),
    ("trộm chó thì bị phạt bao nhiêu năm tù", {"general_question"}),
    ("bọn trộm chó phải phạt thật nặng", {"opinion"}),
    ("con tôi đi học từ sáng đến giờ vẫn chưa về", {"involvement", "danger_goes_on", "time_now"}),
    ("cứu với", {"time_now"}),
    ("Chung toi nghi ngo Ong/Ba dang lam dung the", set()),      # "nghi ngờ" (suspect) is no opinion
    ("ghi lô đề công khai, mong công an xử lý", set()),        # asking the police to act is no opinion
    ("đe dọa người khác bị xử lý ra sao?", {"general_question"}),
    ("tai khoan cua ban se bi khoa", {"involvement"}),       # a forwarded text addressed to the sender
    ("ba tui tháng trước đưa cọc 200 triệu", {"involvement", "time_past"}),  # kin in every pronoun
    ("bà con cẩn thận nha", {"opinion"}),                      # "bà con" is the villagers, not kin
    ("con đang làm ở Bình Dương", set()),                      # "con đang" (the child is…) is not "còn đang"
    ("đăng ký tạm trú cần gì", set()),                     # "đăng" is not "đang"
    ("", set()),
])
def test_families_found(cues, normalizer, text, families):
    assert set(cues.find(normalizer.normalize(text)).found) == families


def test_talk_only_and_over(cues, normalizer):
    talk = cues.find(normalizer.normalize("coi phim hình sự thấy cướp ngân hàng ghê quá"))
    assert talk.talk_only
    assert not cues.find(normalizer.normalize("coi phim xong ra thấy nhà tôi bị trộm")).talk_only
    assert cues.find(normalizer.normalize("tối qua bị trộm con heo")).over
    assert not cues.find(normalizer.normalize("tối qua nó dọa tối nay quay lại đốt nhà")).over
    # recurring, not said to be happening now: not urgent by time; "giờ đang" (h đg) makes it now
    assert cues.find(normalizer.normalize("quán đó đêm nào cũng hát karaoke tới 2 giờ")).over
    assert not cues.find(normalizer.normalize("đêm nào cũng đua xe, h đg chạy ngoài đường")).over


def _write(tmp_path, families):
    path = tmp_path / "cues.yaml"
    path.write_text(yaml.safe_dump({"version": "t", "families": families}, allow_unicode=True), encoding="utf-8")
    return path


def _valid():
    return {family: {"description": "mô tả", "phrases": ["tối qua"], "examples": []} for family in FAMILIES}


@pytest.mark.parametrize("change, message", [
    (lambda f: f.pop("time_now"), "missing"),
    (lambda f: f.update(gossip={"description": "x", "phrases": ["nghe nói"]}), "unknown"),
    (lambda f: f["distance"].update(phrases=[]), "non-empty list"),
    (lambda f: f["distance"].update(description=""), "description"),
    (lambda f: f["distance"].update(examples=["coi phim"]), "does not fire on its example"),
    (lambda f: f["distance"].update(colour="red"), "unknown keys"),
])
def test_malformed_cue_files_are_refused(tmp_path, normalizer, change, message):
    families = _valid()
    change(families)
    with pytest.raises(ConfigError, match=message):
        CueSet.load(_write(tmp_path, families), normalizer)


def test_the_bundled_file_loads_and_has_every_family(cues):
    assert cues.version and set(cues.descriptions) == set(FAMILIES)
