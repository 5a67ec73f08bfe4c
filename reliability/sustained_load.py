"""Sustained load: 60 s of POST /v1/classify at about 80% of the measured maximum.

Usage: python -m reliability.sustained_load [--seconds 60] [--fraction 0.8] [--workers 2]

gunicorn (2 sync workers) on PostgreSQL. First measures the maximum throughput with the same
client unthrottled (10 s), then offers `fraction` of it at a fixed rate (open loop) for `seconds`.
Checks: no error, every answered message stored, worker RSS growth during the run < 10%.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from reliability.common import LoadClient, Server, check_stored, fail_if, reset_database, rss_kb, summarize

MAX_RSS_GROWTH = 0.10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fraction", type=float, default=0.8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    args = parser.parse_args()

    url = reset_database()
    with tempfile.TemporaryDirectory(prefix="triage-reliability-") as folder:
        server = Server(Path(folder), workers=args.workers, database_url=url)
        server.start()
        try:
            boot_rss = {pid: rss_kb(pid) for pid in server.workers_now()}
            LoadClient(server.port, server.token, rate=None, threads=4, prefix="warm").run(3)
            peak = LoadClient(server.port, server.token, rate=None, threads=6, prefix="max")
            peak_stats = summarize(peak.run(args.max_seconds))
            max_rps = peak_stats["ok"] / args.max_seconds
            rate = args.fraction * max_rps
            pids = server.workers_now()
            start_rss = {pid: rss_kb(pid) for pid in pids}
            load = LoadClient(server.port, server.token, rate=rate, threads=16, prefix="load")
            outcomes = load.run(args.seconds)
            end_rss = {pid: rss_kb(pid) for pid in pids}
            pids_after = server.workers_now()
            stats = summarize(outcomes)
            missing, duplicated, wrong = check_stored([o for o in outcomes if o.status == 200])
        finally:
            server.stop()

    achieved = stats["requests"] / args.seconds
    print(f"maximum (unthrottled, 6 client threads, {args.max_seconds:.0f} s): {max_rps:.0f} req/s, "
          f"p50 {peak_stats['p50_ms']:.1f} ms, p99 {peak_stats['p99_ms']:.1f} ms, errors {peak_stats['errors']}")
    print(f"sustained: offered {rate:.0f} req/s ({args.fraction:.0%}) for {args.seconds:.0f} s, achieved "
          f"{achieved:.0f} req/s; requests {stats['requests']}, errors {stats['errors']} {stats['statuses']}, "
          f"p50 {stats['p50_ms']:.1f} ms, p99 {stats['p99_ms']:.1f} ms")
    print(f"stored: missing {missing}, duplicated {duplicated}, wrong message_id {wrong}")
    failures = []
    for pid in pids:
        growth = end_rss[pid] / start_rss[pid] - 1
        print(f"worker {pid} RSS: boot {boot_rss.get(pid, 0) / 1024:.1f} MiB, start {start_rss[pid] / 1024:.1f} MiB, "
              f"end {end_rss[pid] / 1024:.1f} MiB, growth {growth:+.1%}")
        if growth >= MAX_RSS_GROWTH:
            failures.append(f"worker {pid} RSS grew {growth:.1%}")
    if pids_after != pids:
        failures.append(f"workers changed during the run: {pids} -> {pids_after}")
    if peak_stats["errors"] or stats["errors"]:
        failures.append(f"{peak_stats['errors'] + stats['errors']} errors")
    if achieved < 0.95 * rate:
        failures.append(f"achieved {achieved:.0f} req/s < 95% of the offered {rate:.0f}")
    if missing or duplicated or wrong:
        failures.append("stored messages do not match the answers")
    fail_if(failures)


if __name__ == "__main__":
    main()
