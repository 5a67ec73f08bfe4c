"""SIGTERM to the gunicorn master: in-flight requests finish with 200, the master exits 0 in time.

Usage: python -m reliability.sigterm [--batch 300]

gunicorn (2 sync workers, SQLite). One batch request of `--batch` messages per worker is sent (so
each worker holds one in flight); once both are being processed, the master gets SIGTERM. Checks:
both answer 200 with all results, the master exits 0 within gunicorn's graceful_timeout, and the
port is closed afterwards.
"""

from __future__ import annotations

import argparse
import http.client
import json
import signal
import tempfile
import threading
import time
from pathlib import Path

from reliability.common import Server, fail_if, messages

GRACEFUL_TIMEOUT = 20.0  # gunicorn.conf.py


def post_batch(port: int, token: str, texts: list[str], prefix: str, out: dict) -> None:
    body = json.dumps({"messages": [{"text": t, "msg_id": f"{prefix}-{i}"} for i, t in enumerate(texts)]})
    start = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("POST", "/v1/classify/batch", body=body.encode("utf-8"),
                     headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        data = response.read()
        results = json.loads(data).get("results", []) if response.status == 200 else []
        out[prefix] = (response.status, len(results), time.monotonic() - start, start)
    except (OSError, http.client.HTTPException) as error:
        out[prefix] = (type(error).__name__, 0, time.monotonic() - start, start)
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=300)
    args = parser.parse_args()
    texts = (messages() * (args.batch // 10 + 1))[:args.batch]

    with tempfile.TemporaryDirectory(prefix="triage-reliability-") as folder:
        server = Server(Path(folder), workers=2, env={"TRIAGE_BATCH_MAX": str(args.batch),
                                                      "TRIAGE_MAX_CONTENT_LENGTH": str(1 << 20)})
        server.start()
        try:
            # One batch alone first: how long a batch takes here.
            solo: dict = {}
            post_batch(server.port, server.token, texts, "solo", solo)
            results: dict = {}
            threads = [threading.Thread(target=post_batch, args=(server.port, server.token, texts, f"b{i}", results))
                       for i in range(2)]
            for thread in threads:
                thread.start()
            time.sleep(min(0.5, solo["solo"][2] / 3))
            server.process.send_signal(signal.SIGTERM)
            signalled = time.monotonic()
            try:
                code = server.process.wait(timeout=GRACEFUL_TIMEOUT + 5)
            except Exception:  # noqa: BLE001 - reported as a failure below
                code = None
            exited_after = time.monotonic() - signalled
            for thread in threads:
                thread.join(timeout=60)
            refused = server.get("/healthz")[0] is None
        finally:
            server.stop()

    print(f"one batch of {args.batch} alone: {solo['solo'][0]} in {solo['solo'][2]:.2f} s")
    failures = []
    for name, (status, count, elapsed, start) in sorted(results.items()):
        print(f"in-flight batch {name}: {status}, {count} results, sent {start - signalled:+.2f} s from SIGTERM, "
              f"took {elapsed:.2f} s")
        if status != 200 or count != args.batch:
            failures.append(f"batch {name}: {status} with {count} results")
        if start + elapsed <= signalled:
            failures.append(f"batch {name} finished before SIGTERM (not in flight); use a larger --batch")
    print(f"master exit code {code} {exited_after:.2f} s after SIGTERM (graceful_timeout {GRACEFUL_TIMEOUT:.0f} s); "
          f"port closed afterwards: {refused}")
    if len(results) != 2:
        failures.append("a batch got no answer")
    if code != 0 or exited_after > GRACEFUL_TIMEOUT:
        failures.append(f"master exit {code} after {exited_after:.1f} s")
    if not refused:
        failures.append("port still answering")
    fail_if(failures)


if __name__ == "__main__":
    main()
