"""The README's examples are executed, so they stay true: its Python session as a doctest and its
`triage classify` command lines through the CLI."""

from __future__ import annotations

import doctest
import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from triage.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"
# `triage classify ARGS` or `echo 'JSON' | triage classify --jsonl`, with an optional trailing comment.
CLASSIFY_LINE = re.compile(r"^(?:echo '(.+)' \| )?triage classify (.+?)(?:\s+#.*)?$", re.MULTILINE)


def test_the_python_examples_in_the_readme_hold():
    text = README.read_text(encoding="utf-8")
    test = doctest.DocTestParser().get_doctest(text, {}, "README.md", str(README), 0)
    assert len(test.examples) >= 8, "the README's Python example was not found"
    runner = doctest.DocTestRunner(optionflags=doctest.NORMALIZE_WHITESPACE)
    runner.run(test)
    assert runner.failures == 0, "a README example no longer gives what the README says (see output above)"


@pytest.mark.parametrize("line", CLASSIFY_LINE.findall(README.read_text(encoding="utf-8")))
def test_the_classify_commands_in_the_readme_run(line):
    stdin, args = line
    result = CliRunner().invoke(main, ["classify", *shlex.split(args)], input=stdin + "\n" if stdin else None)
    assert result.exit_code == 0, result.output
    assert any(label in result.output for label in ("crime_tip", "procedure", "chat"))
