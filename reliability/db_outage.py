"""Stop PostgreSQL for ~10 s during load: classification keeps answering, the spool replays, and
the database ends up holding every answered message exactly once.

Usage: python -m reliability.db_outage [--rate 30] [--outage 10]

gunicorn (2 sync workers) on PostgreSQL; a paced client sends unique msg_ids for
8 s + outage + 15 s. PostgreSQL is stopped with pg_ctlcluster and always started again (finally),
even if this script fails. Afterwards the spool folder must be empty and every 200's msg_id stored
once with the message_id the client received.
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from reliability.common import LoadClient, Server, check_stored, fail_if, reset_database, summarize


def cluster() -> list[str]:
    version = sorted(p.name for p in Path("/etc/postgresql").iterdir())[0]
    return [version, "main"]


def pg_ctl(action: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster(), action], check=True,
                   capture_output=True, text=True, timeout=60)


def pg_is_up() -> bool:
    return subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432"], capture_output=True).returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=30.0)
    parser.add_argument("--outage", type=float, default=10.0)
    args = parser.parse_args()
    before, after = 8.0, 15.0

    url = reset_database()
    with tempfile.TemporaryDirectory(prefix="triage-reliability-") as folder:
        server = Server(Path(folder), workers=2, database_url=url)
        server.start()
        spool = Path(folder) / "spool"
        try:
            client = LoadClient(server.port, server.token, rate=args.rate, threads=16, prefix="outage")
            client.start(before + args.outage + after)
            time.sleep(before)
            stopped_at = time.monotonic()
            try:
                pg_ctl("stop")
                stop_took = time.monotonic() - stopped_at
                time.sleep(max(0.0, args.outage - stop_took))
            finally:
                pg_ctl("start")
            started_at = time.monotonic()
            waited = 0.0
            while not pg_is_up() and waited < 30:
                time.sleep(0.2)
                waited += 0.2
            outcomes = client.join()
            spool_files = {p.name: p.stat().st_size for p in spool.glob("spool*.jsonl")} if spool.exists() else {}
            ok = [o for o in outcomes if o.status == 200]
            missing, duplicated, wrong = check_stored(ok)
            status, metrics = server.get("/metrics")
        finally:
            server.stop()
            if not pg_is_up():
                pg_ctl("start")

    stats = summarize(outcomes)
    during = [o for o in outcomes if stopped_at <= o.sent < started_at]
    counters = {line.split()[0]: line.split()[1] for line in metrics.decode().splitlines()
                if line.startswith(("triage_spooled_total", "triage_spool_replayed_total"))}
    print(f"{stats['requests']} requests at {args.rate:.0f} req/s; PostgreSQL down for "
          f"{started_at - stopped_at:.1f} s (stop took {stop_took:.1f} s), {len(during)} requests sent meanwhile "
          f"({sum(o.status == 200 for o in during)} answered 200)")
    print(f"answers: {stats['statuses']}; p50 {stats['p50_ms']:.1f} ms, p99 {stats['p99_ms']:.1f} ms")
    for o in outcomes:
        if o.status != 200:
            print(f"  failed: {o.msg_id} sent {o.sent - stopped_at:+.2f} s from the stop: {o.status} {o.error}")
    print(f"metrics: {counters or '(none found)'}; spool files left: {spool_files or 'none'}")
    print(f"stored (of {len(ok)} answered): missing {missing}, duplicated {duplicated}, wrong message_id {wrong}")
    failures = []
    if stats["errors"]:
        failures.append(f"{stats['errors']} errors")
    if not during or any(o.status != 200 for o in during):
        failures.append("classification did not keep answering during the outage")
    if any(size > 0 for size in spool_files.values()):
        failures.append("spool not replayed")
    if missing or duplicated or wrong:
        failures.append("stored messages do not match the answers")
    fail_if(failures)


if __name__ == "__main__":
    main()
