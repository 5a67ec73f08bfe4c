"""The durable spool: append, claim-and-replay, crash leftovers, torn lines, concurrent replays."""

from __future__ import annotations

import fcntl
import os

import pytest

from service.spool import REPLAY_LOCK_FILE, Spool


def records(n: int) -> list[dict]:
    return [{"id": f"m{i}", "text": f"tin nhắn số {i} ở thôn Đông"} for i in range(n)]


def test_appended_records_are_replayed_in_order_then_removed(tmp_path):
    spool = Spool(tmp_path / "spool")
    for record in records(3):
        spool.append(record)
    assert spool.pending() and spool.count() == 3
    assert oct(os.stat(spool.path).st_mode & 0o777) == "0o600"
    received = []
    assert spool.replay(received.extend) == 3
    assert received == records(3)
    assert not spool.pending() and spool.replay(received.extend) == 0


def test_a_failed_store_keeps_the_records_for_the_next_replay(tmp_path):
    spool = Spool(tmp_path)
    spool.append(records(1)[0])

    def failing(_batch):
        raise ConnectionError("database went away again")

    with pytest.raises(ConnectionError):
        spool.replay(failing)
    spool.append({"id": "later"})
    received = []
    assert spool.replay(received.extend) == 1  # the claimed file first ...
    assert spool.replay(received.extend) == 1  # ... then what came in meanwhile
    assert [r["id"] for r in received] == ["m0", "later"]


def test_a_torn_line_is_skipped_and_the_records_around_it_survive(tmp_path):
    spool = Spool(tmp_path)
    spool.append({"id": "before"})
    with open(spool.path, "ab") as handle:
        handle.write(b'\n{"id": "torn", "te')  # a crash in the middle of a write
    spool.append({"id": "after"})
    received = []
    spool.replay(received.extend)
    assert [r["id"] for r in received] == ["before", "after"]


def test_only_one_process_replays_at_a_time(tmp_path):
    spool = Spool(tmp_path)
    spool.append({"id": "x"})
    fd = os.open(tmp_path / REPLAY_LOCK_FILE, os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert spool.replay(lambda batch: None) is None
        assert spool.pending()
    finally:
        os.close(fd)
    assert spool.replay(lambda batch: None) == 1
