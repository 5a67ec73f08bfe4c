"""Broken rule, catalog and commune files fail at load with a ConfigError naming the file and the culprit."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest
import yaml

from triage.errors import ConfigError
from triage.procedures import ProcedureCatalog
from triage.routing import CommuneDirectory
from triage.rules import RuleSet

BUNDLED = Path(str(resources.files("triage") / "data"))
RULE = {"id": "crime.test", "label": "crime_tip", "phrases": ["trộm chó"], "weight": 1.0,
        "example": "nhà tôi bị trộm chó"}


def rules_file(tmp_path: Path, rules: list, version: str = "test") -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({"version": version, "rules": rules}, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize(("rules", "says"), [
    ([RULE, {**RULE, "phrases": ["mất chó"], "example": "mất chó rồi"}], "rule 'crime.test' is defined twice"),
    ([{**RULE, "label": "procedure", "procedure_id": "lam_so_do"}], "unknown procedure_id 'lam_so_do'"),
    ([{**RULE, "label": "spam"}], "rule 'crime.test': label 'spam'"),
    ([{**RULE, "regex": "(unclosed"}], "rule 'crime.test': invalid regex"),
    ([{**RULE, "example": "hôm nay trời đẹp"}], "rule 'crime.test' does not fire on its own example"),
    ([{**RULE, "phrase": ["typo"]}], "rule 'crime.test': unknown keys ['phrase']"),
    ([{"label": "chat", "phrases": ["chào"]}], "rule #1 has no 'id'"),
    (["just a string"], "rule #1 must be a mapping"),
    ([{**RULE, "description": "  "}], "rule 'crime.test': 'description' must be a non-empty Vietnamese sentence"),
], ids=["duplicate-id", "unknown-procedure-id", "unknown-label", "bad-regex", "example-does-not-fire",
        "unknown-key", "no-id", "not-a-mapping", "blank-description"])
def test_an_invalid_rule_is_a_config_error_naming_file_and_rule(tmp_path, normalizer, rules, says):
    path = rules_file(tmp_path, rules)
    with pytest.raises(ConfigError) as error:
        RuleSet.load(path, normalizer)
    assert str(path) in str(error.value) and says in str(error.value)


@pytest.mark.parametrize(("text", "says"), [
    ("version: x\nrules:\n  - id: a\n    label: [chat\n", "cannot read rules file"),
    ("version: x\nrules: {id: a}\n", "expected a mapping with 'version' and a 'rules' list"),
    ("rules: []\n", "'version' is missing"),
    ("", "expected a mapping"),
    ("\tversion: x", "cannot read rules file"),
], ids=["malformed-yaml", "rules-not-a-list", "no-version", "empty-file", "tab-indent"])
def test_a_malformed_rules_file_is_a_config_error_naming_it(tmp_path, normalizer, text, says):
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        RuleSet.load(path, normalizer)
    assert str(path) in str(error.value) and says in str(error.value)


def test_a_missing_rules_file_is_a_config_error(tmp_path, normalizer):
    with pytest.raises(ConfigError, match="cannot read rules file"):
        RuleSet.load(tmp_path / "nope.yaml", normalizer)


def test_a_malformed_yaml_error_says_where(tmp_path, normalizer):
    path = tmp_path / "rules.yaml"
    path.write_text("version: x\nrules:\n  - id: a\n    label: [chat\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"line \d+"):
        RuleSet.load(path, normalizer)


def test_an_unknown_procedure_id_in_the_catalog_is_named(tmp_path):
    data = yaml.safe_load((BUNDLED / "procedures.yaml").read_text(encoding="utf-8"))
    data["procedures"]["lam_so_do"] = data["procedures"]["tach_ho"]
    path = tmp_path / "procedures.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown procedure id 'lam_so_do'"):
        ProcedureCatalog.load(path)


def test_a_duplicate_hamlet_id_in_a_commune_is_named(tmp_path, normalizer):
    data = yaml.safe_load((BUNDLED / "communes" / "dai_hong.yaml").read_text(encoding="utf-8"))
    data["hamlets"].append(dict(data["hamlets"][0]))
    (tmp_path / "dai_hong.yaml").write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ConfigError, match=f"hamlet id {data['hamlets'][0]['id']!r} is defined twice"):
        CommuneDirectory.load(tmp_path, "dai_hong", normalizer)


def test_a_malformed_commune_file_is_named(tmp_path, normalizer):
    (tmp_path / "dai_hong.yaml").write_text("id: dai_hong\nname: [oops\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="dai_hong.yaml: cannot read commune config"):
        CommuneDirectory.load(tmp_path, "dai_hong", normalizer)
