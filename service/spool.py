"""A durable local spool: records that could not reach the database, one JSON object per line.

Appends are fsynced before the client gets its answer. Any process (gunicorn worker) may replay:
it claims the whole spool by renaming it under a lock, stores every record, then deletes the claimed
file. A crash during replay leaves the claimed file in place and the next replay retries it;
records are stored idempotently, so a retry stores nothing twice.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

log = logging.getLogger("triage.service")

SPOOL_FILE = "spool.jsonl"
CLAIMED_FILE = "spool.replaying.jsonl"
LOCK_FILE = "spool.lock"
REPLAY_LOCK_FILE = "replay.lock"


class Spool:
    """Append-only JSONL file plus the claim-and-replay protocol."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.path = self.folder / SPOOL_FILE
        self.claimed = self.folder / CLAIMED_FILE

    def append(self, record: dict[str, Any]) -> None:
        """Write one record and fsync it."""
        # The leading newline isolates a record torn by a crash from the next one.
        line = ("\n" + json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        self.folder.mkdir(parents=True, exist_ok=True)
        with _locked(self.folder / LOCK_FILE, blocking=True):
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def pending(self) -> bool:
        """Whether records wait for replay (two stat calls)."""
        return self.path.exists() or self.claimed.exists()

    def count(self) -> int:
        """Records waiting for replay."""
        return sum(_line_count(path) for path in (self.path, self.claimed) if path.exists())

    def replay(self, store: Callable[[list[dict[str, Any]]], None]) -> int | None:
        """Pass spooled records to `store` and remove them once stored; None if another process
        is replaying. `store` raising leaves the records in place for the next replay."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with _locked(self.folder / REPLAY_LOCK_FILE, blocking=False) as acquired:
            if not acquired:
                return None
            if not self.claimed.exists():
                with _locked(self.folder / LOCK_FILE, blocking=True):
                    if not self.path.exists():
                        return 0
                    os.rename(self.path, self.claimed)
                    _fsync_dir(self.folder)
            records = list(_read_records(self.claimed))
            store(records)
            self.claimed.unlink()
            _fsync_dir(self.folder)
            return len(records)


def _read_records(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except ValueError:
                # A record torn by a crash inside write; it was never acknowledged to a client.
                log.warning("spool: skipping torn line %d of %s", number, path.name)


def _line_count(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


@contextmanager
def _locked(path: Path, *, blocking: bool) -> Iterator[bool]:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
