"""The benchmark scripts' core on tiny data: tables render, baselines train, docs sections get replaced."""

import pytest

from bench import quality
from triage.datasets import read_labeled
from triage.rules import RuleHit


def hit(rule_id, label, weight=1.0, urgent=False, procedure_id=None):
    return RuleHit(rule_id, label, "x", (0, 1), weight, urgent, None, procedure_id)


@pytest.mark.parametrize(("hits", "expected"), [
    ([], ("chat", False, None)),
    ([hit("trom", "crime_tip", urgent=True)], ("crime_tip", True, None)),
    ([hit("thuong_tru", "procedure", 2.0, procedure_id="dang_ky_thuong_tru"), hit("trom", "crime_tip")],
     ("procedure", False, "dang_ky_thuong_tru")),
    # each rule counts once, however often it matched
    ([hit("chao", "chat"), hit("trom", "crime_tip", 1.5), hit("chao", "chat")], ("crime_tip", False, None)),
    # a tie goes to crime_tip (safety first)
    ([hit("chao", "chat"), hit("trom", "crime_tip")], ("crime_tip", False, None)),
])
def test_rule_vote_takes_the_label_with_most_evidence(hits, expected):
    prediction = quality.rule_vote(hits)
    assert (prediction.label, prediction.urgent, prediction.procedure_id) == expected


def test_fasttext_tokens_lower_cases_and_splits_punctuation():
    assert quality.fasttext_tokens("Nhà tôi bị TRỘM, cứu!") == "nhà tôi bị trộm , cứu !"


def test_quality_table_renders_on_a_tiny_subset(engine):
    train = read_labeled(quality.TRAIN_CSV).sample(n=300, random_state=0)
    systems = quality.build_systems(engine, train, with_fasttext=quality.fasttext_available())
    gold = read_labeled(quality.DEV_CSV).head(20)
    rows = quality.measure(systems, [("dev", gold)])
    table = quality.render_table(rows)
    lines = table.splitlines()
    assert lines[0].startswith("| set | system | macro-F1 |")
    assert len(lines) == 2 + len(systems)
    assert "| dev (20) | hybrid (shipped) |" in table
    tfidf = next(line for line in lines if "TF-IDF" in line)
    assert tfidf.split(" | ")[5:7] == ["-", "-"]  # no urgent / procedure-id heads
    for row in rows:
        assert 0.0 <= row["macro-F1"] <= 1.0


def test_replace_section_swaps_only_its_own_block(tmp_path):
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nprose stays\n", encoding="utf-8")
    quality.replace_section(doc, "quality", "first table")
    quality.replace_section(doc, "speed", "speed table")
    quality.replace_section(doc, "quality", "second table")
    text = doc.read_text(encoding="utf-8")
    assert "prose stays" in text and "speed table" in text and "second table" in text
    assert "first table" not in text
    assert text.count("<!-- quality:start -->") == 1


def test_quality_chart_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    rows = [{"set": "dev", "rows": 3, "system": name, **dict.fromkeys(quality.METRICS, 0.5)}
            for name in ("hybrid (shipped)", "fastText")]
    rows[1]["urgent R"] = None
    quality.plot(rows, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes()[:4] == b"\x89PNG"
