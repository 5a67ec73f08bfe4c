"""The reliability scripts (python -m reliability.*) import and their pure helpers work; the
scripts themselves run under `make reliability`, not in CI."""

import importlib

import pytest

from reliability.common import Outcome, Pacer, summarize, worker_pids


@pytest.mark.parametrize("name", ["sustained_load", "kill_worker", "db_outage", "corrupt_model", "sigterm"])
def test_script_imports_and_has_main(name):
    module = importlib.import_module(f"reliability.{name}")
    assert callable(module.main)


def test_pacer_spaces_slots_at_the_rate():
    pacer = Pacer(rate=50.0, start=100.0)
    slots = [pacer.slot() for _ in range(5)]
    assert slots == pytest.approx([100.0, 100.02, 100.04, 100.06, 100.08])
    unpaced = Pacer(rate=None, start=7.0)
    assert [unpaced.slot() for _ in range(3)] == [7.0, 7.0, 7.0]


def test_summarize_counts_errors_and_percentiles():
    outcomes = [Outcome(f"m{i}", 0.0, i / 1000, 200) for i in range(1, 101)]
    outcomes += [Outcome("x", 0.0, 0.5, 503), Outcome("y", 0.0, 0.1, None, error="RemoteDisconnected")]
    stats = summarize(outcomes)
    assert (stats["requests"], stats["ok"], stats["errors"]) == (102, 100, 2)
    assert stats["statuses"]["503"] == 1 and stats["statuses"]["no answer (RemoteDisconnected)"] == 1
    assert stats["p50_ms"] == pytest.approx(51.0) and stats["p99_ms"] == pytest.approx(100.0)


def test_worker_pids_finds_children_of_this_process():
    import subprocess
    import sys

    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(5)"])
    try:
        assert child.pid in worker_pids(__import__("os").getpid())
    finally:
        child.kill()
        child.wait()
