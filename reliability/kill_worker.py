"""Kill -9 one gunicorn worker during load: only its in-flight request may fail; answers are stored.

Usage: python -m reliability.kill_worker [--rate 40] [--seconds 20]

gunicorn (2 sync workers) on PostgreSQL; a paced client sends unique msg_ids. At 40% of the run
one worker gets SIGKILL. A sync worker holds one request at a time, so at most one request may
fail. Afterwards: every 200 has its message_id in the database exactly once, the master has
replaced the worker, and the failed requests, retried with the same msg_id, get a 200 and are
still stored once (idempotency by msg_id).
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from pathlib import Path

from reliability.common import LoadClient, Server, check_stored, fail_if, reset_database, stored_counts, summarize


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=40.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    url = reset_database()
    with tempfile.TemporaryDirectory(prefix="triage-reliability-") as folder:
        server = Server(Path(folder), workers=2, database_url=url)
        server.start()
        try:
            before = server.workers_now()
            client = LoadClient(server.port, server.token, rate=args.rate, threads=16, prefix="kill")
            client.start(args.seconds)
            time.sleep(args.seconds * 0.4)
            victim = before[0]
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            outcomes = client.join()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len([p for p in server.workers_now() if p != victim]) < 2:
                time.sleep(0.2)
            after = server.workers_now()
            failed = [o for o in outcomes if o.status != 200]
            retries = [client.one(o.msg_id, client.texts[0]) for o in failed]
            ok = [o for o in outcomes if o.status == 200]
            missing, duplicated, wrong = check_stored(ok)
            retried_found = stored_counts([o.msg_id for o in failed])
        finally:
            server.stop()

    stats = summarize(outcomes)
    print(f"{stats['requests']} requests at {args.rate:.0f} req/s over {args.seconds:.0f} s; worker {victim} "
          f"killed (SIGKILL) at {args.seconds * 0.4:.0f} s; workers before {before}, after {after}")
    print(f"answers: {stats['statuses']}; p50 {stats['p50_ms']:.1f} ms, p99 {stats['p99_ms']:.1f} ms")
    for o in failed:
        print(f"  failed: {o.msg_id} sent {o.sent - killed_at:+.2f} s from the kill, after {o.elapsed:.2f} s: "
              f"{o.status or o.error}")
    print(f"stored (of {len(ok)} answered): missing {missing}, duplicated {duplicated}, wrong message_id {wrong}")
    print(f"retries of the failed requests: {[r.status for r in retries]}; stored rows per msg_id: "
          f"{[len(retried_found.get(o.msg_id, [])) for o in failed]}")
    failures = []
    if len(failed) > 1:
        failures.append(f"{len(failed)} failed requests (at most 1, the killed worker's, may fail)")
    if missing or duplicated or wrong:
        failures.append("stored messages do not match the answers")
    if victim in after or len(after) != 2:
        failures.append(f"worker not replaced: {after}")
    if any(r.status != 200 for r in retries) or any(len(retried_found.get(o.msg_id, [])) != 1 for o in failed):
        failures.append("a retried request did not end stored exactly once")
    fail_if(failures)


if __name__ == "__main__":
    main()
