"""HTTP throughput and latency of the service under gunicorn, beside the engine's own throughput.

Usage: python -m bench.http_bench [--seconds 10] [--connections 4] [--workers 2]

Measures, in one run and on the same messages (bench/messages.txt):
  1. `Triage.classify` in this process, one message at a time (the floor: the engine's cost);
  2. POST /v1/classify through `triage serve` (gunicorn, SQLite in a temporary instance folder,
     structured logs, rate limiter and metrics on), driven by wrk at the given concurrency;
  3. GET /healthz the same way (gunicorn + Flask overhead without the engine);
  4. the same POST to bench/bare_app.py under gunicorn: Flask + the engine and nothing else (no
     auth, storage, correction memory, metrics or logs) -- the most any Flask service could reach.
Prints a table and checks the targets: HTTP classify >= 0.6 x workers x in-process msg/s,
classify p99 <= 25 ms, no errors. Needs wrk (`apt-get install wrk`); talks only to 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = Path(__file__).resolve().parent / "messages.txt"
TRIAGE = str(Path(sys.executable).with_name("triage"))
THROUGHPUT_TARGET = 0.6
P99_TARGET_MS = 25.0

# wrk's done() hook prints exact percentiles and error counts as one JSON line.
WRK_DONE = """
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"errors":%d,"non_2xx":%d,"p50_us":%d,"p99_us":%d}\\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(99)))
end
"""

WRK_POST = """
local bodies = {%(bodies)s}
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(token)s"}
local counter = 0
local threads = 0
local run = "0"

-- Each wrk run passes its own name (`-- NAME`): msg_ids must not repeat those of the warm-up run,
-- or the measured run's first requests would take the idempotent-retry path (a conflicting insert plus a
-- read of the stored result) instead of storing new messages.
function init(args)
  run = args[1] or "0"
end

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function request()
  counter = counter + 1
  local body = string.format('{"text":%%s,"msg_id":"bench-%%s-%%d-%%d","sender_id":"zalo-%%d"}',
                             bodies[counter %% #bodies + 1], run, tid, counter, counter %% 97)
  return wrk.format("POST", "/v1/classify", headers, body)
end
"""


@dataclass
class Result:
    """Throughput and latency of one measurement."""

    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int = 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def in_process(messages: list[str], seconds: float) -> tuple[Result, str]:
    """Loop Triage.classify over the messages for about `seconds`."""
    from triage import Triage  # noqa: PLC0415 - the HTTP part does not need it loaded here

    engine = Triage.load()
    for text in messages * 2:
        engine.classify(text)
    timings: list[float] = []
    clock = time.perf_counter
    deadline = clock() + seconds
    while clock() < deadline:
        for text in messages:
            start = clock()
            engine.classify(text)
            timings.append(clock() - start)
    result = Result("Triage.classify in-process (1 thread)", len(timings) / sum(timings),
                    percentile(timings, 0.5) * 1e3, percentile(timings, 0.99) * 1e3, len(timings))
    return result, engine.model_version


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(instance: Path, port: int, workers: int, database_url: str | None) -> subprocess.Popen:
    """`triage serve` (fresh SQLite database unless `database_url`); a bot token goes to instance/token."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TRIAGE_", "PROMETHEUS_"))}
    env.update(TRIAGE_INSTANCE_PATH=str(instance), TRIAGE_RATE_LIMIT="1000000000")
    if database_url:
        env["TRIAGE_DATABASE_URL"] = database_url
    token = subprocess.run([TRIAGE, "tokens", "create", "--name", "bench", "--role", "bot"], env=env,
                           check=True, capture_output=True, text=True).stdout.strip()
    (instance / "token").write_text(token)
    log = (instance / "server.log").open("wb")
    server = subprocess.Popen([TRIAGE, "serve", "--port", str(port), "--workers", str(workers)],
                              env=env, stdout=log, stderr=log)
    return wait_until_up(server, f"http://127.0.0.1:{port}/readyz", f"see {instance / 'server.log'}")


def start_bare_server(port: int, workers: int) -> subprocess.Popen:
    """gunicorn serving bench/bare_app.py (logs discarded)."""
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    server = subprocess.Popen([gunicorn, "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
                               "bench.bare_app:create_app()"], cwd=ROOT, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    return wait_until_up(server, f"http://127.0.0.1:{port}/healthz", "bench/bare_app.py under gunicorn")


def wait_until_up(server: subprocess.Popen, url: str, what: str) -> subprocess.Popen:
    """Wait up to 60 s for `url` to answer 200; kill the server and stop if it does not."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return server
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    server.kill()
    raise SystemExit(f"server did not become ready ({what})")


def run_wrk(name: str, url: str, script: Path, seconds: float, connections: int) -> Result:
    """One wrk run (after a short warm-up); parses the JSON line of the done() hook."""
    base = ["wrk", "-t1", f"-c{connections}", "-s", str(script)]
    subprocess.run([*base, "-d2s", url, "--", "warmup"], check=True, capture_output=True)
    output = subprocess.run([*base, f"-d{seconds:.0f}s", url, "--", "measured"], check=True,
                            capture_output=True, text=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("WRK_JSON "))
    stats = json.loads(line.removeprefix("WRK_JSON "))
    return Result(name, stats["requests"] / (stats["duration_us"] / 1e6), stats["p50_us"] / 1e3,
                  stats["p99_us"] / 1e3, stats["requests"], stats["errors"] + stats["non_2xx"])


def lua_long_string(text: str) -> str:
    return f"[==[{text}]==]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="Duration of each measurement.")
    parser.add_argument("--connections", type=int, default=4, help="Concurrent HTTP connections.")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers.")
    parser.add_argument("--database-url", default=None,
                        help="Database for the server (default: a new SQLite file); its tables get "
                             "a 'bench' token and the benchmark's messages.")
    args = parser.parse_args()
    messages = [line for line in MESSAGES.read_text(encoding="utf-8").splitlines() if line.strip()]

    engine_result, model_version = in_process(messages, args.seconds / 2)
    with tempfile.TemporaryDirectory(prefix="triage-bench-") as folder:
        instance = Path(folder)
        port = free_port()
        server = start_server(instance, port, args.workers, args.database_url)
        try:
            token = (instance / "token").read_text()
            bodies = ", ".join(lua_long_string(json.dumps(m, ensure_ascii=False)) for m in messages)
            post = instance / "post.lua"
            post.write_text(WRK_POST % {"bodies": bodies, "token": token} + WRK_DONE, encoding="utf-8")
            plain = instance / "get.lua"
            plain.write_text(WRK_DONE, encoding="utf-8")
            url = f"http://127.0.0.1:{port}"
            classify = run_wrk(f"POST /v1/classify (c={args.connections}, {args.workers} workers)",
                               f"{url}/v1/classify", post, args.seconds, args.connections)
            health = run_wrk(f"GET /healthz (c={args.connections}, {args.workers} workers)",
                             f"{url}/healthz", plain, args.seconds, args.connections)
            stored = requests.get(f"{url}/readyz", timeout=5).json()
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        bare_server = start_bare_server(port, args.workers)
        try:
            bare = run_wrk("same POST, bare Flask + engine (floor)", f"{url}/v1/classify", post, args.seconds,
                           args.connections)
        finally:
            bare_server.send_signal(signal.SIGTERM)
            bare_server.wait(timeout=30)

    words = statistics.mean(len(m.split()) for m in messages)
    print(f"model {model_version}; {len(messages)} messages (mean {words:.0f} words); database "
          f"{stored['database']['dialect']}; {os.cpu_count()} CPUs shared by wrk, gunicorn and this script")
    print(f"{'':<46}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'requests':>10}{'errors':>8}")
    for result in (engine_result, classify, health, bare):
        print(f"{result.name:<46}{result.rps:>9.0f}{result.p50_ms:>9.2f}{result.p99_ms:>9.2f}"
              f"{result.requests:>10}{result.errors:>8}")
    floor = args.workers * engine_result.rps
    ratio = classify.rps / floor
    print(f"HTTP classify / ({args.workers} x in-process) = {classify.rps:.0f} / {floor:.0f} = {ratio:.2f} "
          f"(target >= {THROUGHPUT_TARGET}) {'OK' if ratio >= THROUGHPUT_TARGET else 'MISSED'}")
    print(f"classify p99 {classify.p99_ms:.1f} ms (target <= {P99_TARGET_MS:.0f}) "
          f"{'OK' if classify.p99_ms <= P99_TARGET_MS else 'MISSED'}; errors {classify.errors + health.errors}; "
          f"readyz after the run: {stored['status']}")
    print(f"bare Flask + engine (no auth, storage, memory, metrics, logs) / (2 x in-process) = "
          f"{bare.rps / floor:.2f}; the service reaches {classify.rps / bare.rps:.0%} of it")


if __name__ == "__main__":
    main()
