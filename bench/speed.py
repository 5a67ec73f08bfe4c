"""Speed and cost floor in one run: engine, baselines, HTTP, memory, load and training time, scaling.

Usage: python -m bench.speed [--seconds 5] [--connections 4] [--rounds 3] [--no-http] [--no-train] [--no-write]

In-process (this process, one thread, messages of training_data/dev.csv):
  - underthesea `word_tokenize` alone: the floor the design cannot go below (timed alternately
    with `Triage.classify` on each message, so that both see the same load on a shared machine);
  - `Triage.classify` one message at a time and in a loop over batches of 32, with the time split
    between normalization+tokenization, rules, features+model, decide and entities+routing;
  - rules alone and fastText, the same way, for reference;
  - a scikit-learn Pipeline call on the same features beside `LinearScorer` (why serving skips it);
  - messages/s against message length (10 to 20,000 characters; the length cap bounds the cost).
HTTP (bench/http_bench.py's server and wrk driver): /v1/classify and /healthz at the same
concurrency with 1 and 2 gunicorn workers, and the same POST to bench/bare_app.py (Flask + the
engine and nothing else: the most a Flask service could reach); RSS of one worker. Also: model load time in a fresh
interpreter (and whether it imported scikit-learn), and `train_model` time on the full training data.
Writes the tables into docs/benchmarks.md (between the `speed` markers) and docs/benchmarks_scaling.png.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import http_bench
from bench.engine_speed import percentile, rss_mb
from bench.quality import (
    BENCHMARKS_MD,
    DEV_CSV,
    DOCS,
    ROOT,
    TRAIN_CSV,
    fasttext_available,
    fasttext_tokens,
    replace_section,
    rule_vote,
    train_fasttext,
)

SCALING_PNG = DOCS / "benchmarks_scaling.png"
LENGTHS = (10, 100, 1_000, 5_000, 20_000)
BATCH = 32
FLOOR_TARGET = 1.5
HTTP_TARGET = 0.6


@dataclass
class Row:
    """One line of the in-process table."""

    name: str
    per_second: float
    p50_ms: float
    p99_ms: float
    note: str = ""


def time_each(function: Callable[[str], object], texts: Sequence[str], rounds: int) -> list[float]:
    """Seconds of each call, `rounds` passes over `texts`."""
    clock = time.perf_counter
    out = []
    for _ in range(rounds):
        for text in texts:
            start = clock()
            function(text)
            out.append(clock() - start)
    return out


def time_interleaved(first: Callable[[str], object], second: Callable[[str], object], texts: Sequence[str],
                     rounds: int) -> tuple[list[float], list[float]]:
    """Like `time_each` for two functions, alternating on each message so both see the same machine load."""
    clock = time.perf_counter
    a, b = [], []
    for _ in range(rounds):
        for text in texts:
            start = clock()
            first(text)
            middle = clock()
            second(text)
            b.append(clock() - middle)
            a.append(middle - start)
    return a, b


def row(name: str, seconds: list[float], note: str = "") -> Row:
    return Row(name, len(seconds) / sum(seconds), percentile(seconds, .5) * 1e3, percentile(seconds, .99) * 1e3, note)


def split(stages: dict[str, float], messages: int) -> str:
    total = sum(stages.values())
    return ", ".join(f"{stage} {seconds / messages * 1e3:.3f} ms ({seconds / total:.0%})"
                     for stage, seconds in stages.items())


def load_in_fresh_interpreter() -> dict:
    """Seconds to import triage and load the engine in a new process, and whether sklearn got imported."""
    code = ("import json, sys, time; t = time.perf_counter(); from triage import Triage; e = Triage.load(); "
            "s = time.perf_counter() - t; e.classify('nhà tôi bị trộm xe máy'); "
            "rss = [int(l.split()[1]) for l in open('/proc/self/status') if l.startswith('VmRSS')][0]; "
            "print(json.dumps({'seconds': s, 'sklearn': 'sklearn' in sys.modules, 'rss_mb': rss / 1024}))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def message_of_length(texts: Sequence[str], length: int, offset: int) -> str:
    """Dev messages joined until `length` characters, cut there."""
    parts, total, i = [], 0, offset
    while total < length:
        parts.append(texts[i % len(texts)])
        total += len(parts[-1]) + 1
        i += 1
    return " ".join(parts)[:length]


def length_scaling(engine, texts: Sequence[str], budget: float = 1.5) -> list[dict]:
    """messages/s and ms/message of classify for messages of each length (about `budget` s each)."""
    out = []
    for length in LENGTHS:
        messages = [message_of_length(texts, length, offset) for offset in range(0, 200, 10)]
        for m in messages[:3]:
            engine.classify(m)
        seconds: list[float] = []
        deadline = time.perf_counter() + budget
        while time.perf_counter() < deadline or len(seconds) < len(messages):
            seconds += time_each(engine.classify, messages, 1)
        out.append({"chars": length, "per_second": len(seconds) / sum(seconds),
                    "p50_ms": percentile(seconds, .5) * 1e3, "calls": len(seconds)})
    return out


def worker_rss_mb(master_pid: int) -> list[float]:
    """RSS (MB) of each child of the gunicorn master."""
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return []
    sizes = []
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return sizes


def http_runs(messages: list[str], workers: int, seconds: float, connections: int) -> dict:
    """classify and healthz under `workers` gunicorn workers, plus worker RSS after the load."""
    with tempfile.TemporaryDirectory(prefix="triage-bench-") as folder:
        instance = Path(folder)
        port = http_bench.free_port()
        server = http_bench.start_server(instance, port, workers, None)
        try:
            token = (instance / "token").read_text()
            bodies = ", ".join(http_bench.lua_long_string(json.dumps(m, ensure_ascii=False)) for m in messages)
            post = instance / "post.lua"
            post.write_text(http_bench.WRK_POST % {"bodies": bodies, "token": token} + http_bench.WRK_DONE,
                            encoding="utf-8")
            plain = instance / "get.lua"
            plain.write_text(http_bench.WRK_DONE, encoding="utf-8")
            url = f"http://127.0.0.1:{port}"
            classify = http_bench.run_wrk(f"POST /v1/classify, {workers} worker(s), c={connections}",
                                          f"{url}/v1/classify", post, seconds, connections)
            health = http_bench.run_wrk(f"GET /healthz, {workers} worker(s), c={connections}",
                                        f"{url}/healthz", plain, seconds, connections)
            rss = worker_rss_mb(server.pid)
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        bare_server = http_bench.start_bare_server(port, workers)
        try:
            bare = http_bench.run_wrk(f"same POST, bare Flask + engine (floor), {workers} worker(s)",
                                      f"{url}/v1/classify", post, seconds, connections)
        finally:
            bare_server.send_signal(signal.SIGTERM)
            bare_server.wait(timeout=30)
    return {"workers": workers, "classify": classify, "health": health, "bare": bare, "rss": rss}


def training_seconds() -> float:
    """`train_model` on the full training data into a temporary folder (models/ is left alone)."""
    from triage.datasets import read_labeled  # noqa: PLC0415
    from triage.training import train_model  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="triage-train-") as folder:
        start = time.perf_counter()
        train_model(read_labeled(TRAIN_CSV), DEV_CSV, Path(folder), version="bench", activate=False)
        return time.perf_counter() - start


def pipeline_overhead(engine, texts: Sequence[str]) -> tuple[float, float]:
    """p50 ms of a fitted scikit-learn Pipeline's predict_proba vs LinearScorer.predict, same features."""
    from triage.datasets import read_labeled  # noqa: PLC0415
    from triage.features import featurize  # noqa: PLC0415
    from triage.training import fit_pipelines  # noqa: PLC0415

    train = read_labeled(TRAIN_CSV).sample(n=1500, random_state=0)  # a small fit: only its call cost matters
    features = [featurize(engine.normalizer.normalize(t)) for t in train["text"]]
    pipelines = fit_pipelines(features, list(train["label"]), list(train["urgent"]), list(train["procedure_id"]))
    probe = [featurize(engine.normalizer.normalize(t)) for t in texts[:200]]
    label = pipelines["label"]
    sk = time_each(lambda f: label.predict_proba([f]), probe, 2)
    ours = time_each(engine.scorer.predict, probe, 2)
    return percentile(sk, .5) * 1e3, percentile(ours, .5) * 1e3


def plot(scaling: list[dict], http: list[dict], path: Path) -> None:
    import matplotlib  # noqa: PLC0415 - optional: the `bench` extra

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    panels = 2 if http else 1
    fig, axes = plt.subplots(1, panels, figsize=(6 * panels, 4), squeeze=False)
    ax = axes[0, 0]
    chars = [s["chars"] for s in scaling]
    ax.loglog(chars, [s["p50_ms"] for s in scaling], "o-", label="ms per message (p50)")
    ax.loglog(chars, [s["per_second"] for s in scaling], "s-", label="messages/s")
    ax.axvline(5000, color="grey", ls="--", lw=1)
    ax.text(5200, ax.get_ylim()[0] * 1.5, "length cap", fontsize=8, color="grey")
    ax.set_xlabel("message length (characters)")
    ax.set_title("Triage.classify in-process vs length")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    if http:
        ax = axes[0, 1]
        workers = [h["workers"] for h in http]
        ax.plot(workers, [h["classify"].rps for h in http], "o-", label="POST /v1/classify")
        ax.plot(workers, [h["health"].rps for h in http], "s-", label="GET /healthz")
        ax.plot(workers, [h["bare"].rps for h in http], "^--", label="POST, bare Flask + engine")
        ax.set_xticks(workers)
        ax.set_xlabel("gunicorn workers")
        ax.set_ylabel("requests/s")
        ax.set_title(f"HTTP throughput ({os.cpu_count()} CPUs shared with wrk)")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each wrk measurement")
    parser.add_argument("--connections", type=int, default=4, help="concurrent HTTP connections")
    parser.add_argument("--rounds", type=int, default=3, help="passes over the dev messages in-process")
    parser.add_argument("--no-http", action="store_true", help="skip the gunicorn measurements")
    parser.add_argument("--no-train", action="store_true", help="skip the training-time measurement")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/ alone")
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    import pandas as pd  # noqa: PLC0415

    texts = list(pd.read_csv(DEV_CSV, dtype=str, keep_default_na=False)["text"])
    fresh = load_in_fresh_interpreter()

    from underthesea import word_tokenize  # noqa: PLC0415

    from triage import Triage  # noqa: PLC0415

    engine = Triage.load()
    for text in texts[:50]:
        engine.classify(text)
        word_tokenize(text)
    floor, single = time_interleaved(word_tokenize, engine.classify, texts, args.rounds)
    batches = [texts[i:i + BATCH] for i in range(0, len(texts), BATCH)]
    batch_seconds = time_each(lambda chunk: [engine.classify(t) for t in chunk], batches, args.rounds)
    stages: dict[str, float] = {}
    for text in texts:
        engine.classify(text, timings=stages)

    def rules_alone(text: str, timings: dict[str, float]) -> None:
        clock = time.perf_counter
        t0 = clock()
        message = engine.normalizer.normalize(text)
        t1 = clock()
        hits = engine.rules.apply(message)
        t2 = clock()
        rule_vote(hits)
        for stage, seconds in (("normalize+tokenize", t1 - t0), ("rules", t2 - t1), ("vote", clock() - t2)):
            timings[stage] = timings.get(stage, 0.0) + seconds

    rule_stages: dict[str, float] = {}
    rules_times = time_each(lambda t: rules_alone(t, rule_stages), texts, args.rounds)
    rows = [row("underthesea word_tokenize (floor)", floor),
            row("Triage.classify, one at a time", single, split(stages, len(texts))),
            Row(f"Triage.classify, loop over batches of {BATCH}",
                sum(len(b) for b in batches) * args.rounds / sum(batch_seconds),
                percentile(batch_seconds, .5) * 1e3, percentile(batch_seconds, .99) * 1e3,
                f"latency is per batch of {BATCH}"),
            row("rules alone (normalize + rules + vote)", rules_times,
                split(rule_stages, len(texts) * args.rounds))]
    fasttext_train = None
    if fasttext_available():
        from triage.datasets import read_labeled  # noqa: PLC0415

        start = time.perf_counter()
        model = train_fasttext(read_labeled(TRAIN_CSV))
        fasttext_train = time.perf_counter() - start
        ft_stages = {"tokenize": 0.0, "predict": 0.0}

        def fasttext_one(text: str) -> None:
            t0 = time.perf_counter()
            tokens = fasttext_tokens(text)
            t1 = time.perf_counter()
            model.predict(tokens)
            ft_stages["tokenize"] += t1 - t0
            ft_stages["predict"] += time.perf_counter() - t1

        ft_times = time_each(fasttext_one, texts, args.rounds)
        rows.append(row("fastText (reference)", ft_times, split(ft_stages, len(texts) * args.rounds)))
    sk_ms, scorer_ms = pipeline_overhead(engine, texts)
    scaling = length_scaling(engine, texts)
    inproc_rss = rss_mb()

    http = []
    http_messages = [line for line in http_bench.MESSAGES.read_text(encoding="utf-8").splitlines() if line.strip()]
    # The HTTP targets compare with the engine on the very messages wrk sends.
    same_messages = row("Triage.classify on bench/messages.txt", time_each(engine.classify, http_messages, 20))
    if not args.no_http:
        http = [http_runs(http_messages, workers, args.seconds, args.connections) for workers in (1, 2)]
    train_seconds = None if args.no_train else training_seconds()

    ratio = rows[1].p50_ms / rows[0].p50_ms
    words = statistics.mean(len(t.split()) for t in texts)
    command = "python -m bench.speed" + (" " + " ".join(argv) if argv else "")
    lines = [f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}` (`make bench-speed`) on "
             f"{os.cpu_count()} CPUs (load average at the end {os.getloadavg()[0]:.1f}: other processes share "
             f"the machine); model {engine.model_version}; {len(texts)} dev messages "
             f"(mean {words:.0f} words), {args.rounds} passes, one thread.", "",
             "| in-process | messages/s | p50 ms | p99 ms | time split (mean per message) |",
             "|---|---:|---:|---:|---|"]
    lines += [f"| {r.name} | {r.per_second:,.0f} | {r.p50_ms:.3f} | {r.p99_ms:.3f} | {r.note} |" for r in rows]
    verdict = "OK" if ratio <= FLOOR_TARGET else "MISSED"
    lines += ["", f"- classify p50 / word_tokenize p50 = {rows[1].p50_ms:.3f} / {rows[0].p50_ms:.3f} = "
                  f"**{ratio:.2f}x** (target <= {FLOOR_TARGET}x): {verdict}",
              f"- label head on the same features: scikit-learn Pipeline.predict_proba p50 {sk_ms:.3f} ms, "
              f"LinearScorer.predict (all three heads) p50 {scorer_ms:.3f} ms",
              f"- model load in a fresh interpreter (import triage + Triage.load): {fresh['seconds']:.2f} s; "
              f"scikit-learn imported: {'yes' if fresh['sklearn'] else 'no'}; RSS after one message "
              f"{fresh['rss_mb']:.0f} MB (this benchmark process, with baselines loaded: {inproc_rss:.0f} MB)"]
    if fasttext_train is not None:
        lines.append(f"- fastText training on training_data/train.csv: {fasttext_train:.1f} s (1 thread)")
    if train_seconds is not None:
        lines.append(f"- `train_model` on the full training data (featurize, fit 3 heads, export, dev "
                     f"evaluation, save): {train_seconds:.1f} s")
    lines += ["", "| message length (chars) | messages/s | p50 ms | calls |", "|---:|---:|---:|---:|"]
    lines += [f"| {s['chars']:,} | {s['per_second']:,.0f} | {s['p50_ms']:.2f} | {s['calls']} |" for s in scaling]
    if http:
        lines += ["", f"| HTTP (wrk, {args.connections} connections, {args.seconds:.0f} s) | requests/s | "
                      "p50 ms | p99 ms | errors |", "|---|---:|---:|---:|---:|"]
        for h in http:
            for result in (h["classify"], h["health"], h["bare"]):
                lines.append(f"| {result.name} | {result.rps:,.0f} | {result.p50_ms:.2f} | {result.p99_ms:.2f} "
                             f"| {result.errors} |")
        lines += ["", f"In-process on the same {len(http_messages)} messages (bench/messages.txt): "
                      f"{same_messages.per_second:,.0f} messages/s, p50 {same_messages.p50_ms:.3f} ms.", ""]
        for h in http:
            floor_rps = h["workers"] * same_messages.per_second
            share = h["classify"].rps / floor_rps
            lines.append(f"- {h['workers']} worker(s): classify / healthz = {h['classify'].rps / h['health'].rps:.2f}; "
                         f"classify / ({h['workers']} x in-process) = {share:.2f} (target >= {HTTP_TARGET}) "
                         f"{'OK' if share >= HTTP_TARGET else 'MISSED'}; bare Flask + engine / "
                         f"({h['workers']} x in-process) = {h['bare'].rps / floor_rps:.2f}, of which the service "
                         f"reaches {h['classify'].rps / h['bare'].rps:.0%}; worker RSS "
                         + ", ".join(f"{mb:.0f} MB" for mb in h["rss"]))
    text = "\n".join(lines)
    print(text)
    if not args.no_write:
        plot(scaling, http, SCALING_PNG)
        replace_section(BENCHMARKS_MD, "speed", text)  # the Scaling section embeds the chart
        print(f"wrote {BENCHMARKS_MD.relative_to(ROOT)} and {SCALING_PNG.relative_to(ROOT)}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
