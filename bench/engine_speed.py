"""In-process speed of the engine, one message at a time, beside underthesea's word_tokenize.

Usage: python -m bench.engine_speed [--data training_data/dev.csv] [--rounds 5]
Prints model load time, p50/p99 latency and messages/s of `Triage.classify`, the same for
`word_tokenize` alone (the floor), the time split between stages, and the process RSS.

The two are timed in pairs: for each message of each round, `word_tokenize` and `classify` run back
to back, the one going first alternating. Timing all of one and then all of the other let the
machine's speed drift between the two blocks (this 2-core machine is shared), which moved the
ratio by more than the engine's own changes; paired calls see the same load, and alternating the
order cancels the advantage of running second (caches warmed by the same text).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def time_paired(first, second, texts: list[str], rounds: int) -> tuple[list[float], list[float]]:
    """Seconds of each call of `first` and of `second`, run back to back on each message, which goes
    first alternating from one message to the next and from one round to the next."""
    timings: tuple[list[float], list[float]] = ([], [])
    clock = time.perf_counter
    for round_index in range(rounds):
        for position, text in enumerate(texts):
            order = (0, 1) if (round_index + position) % 2 == 0 else (1, 0)
            for which in order:
                function = second if which else first
                start = clock()
                function(text)
                timings[which].append(clock() - start)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT / "training_data" / "dev.csv")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    texts = list(pd.read_csv(args.data, dtype=str, keep_default_na=False)["text"])

    start = time.perf_counter()
    from triage import Triage  # noqa: PLC0415 - import time is part of the load time
    engine = Triage.load()
    load_seconds = time.perf_counter() - start
    from underthesea import word_tokenize  # noqa: PLC0415

    for text in texts[:50]:  # warm-up: caches, CRF, numpy
        engine.classify(text)
        word_tokenize(text)
    floor, ours = time_paired(word_tokenize, engine.classify, texts, args.rounds)
    stages: dict[str, float] = {}
    for text in texts:
        engine.classify(text, timings=stages)

    words = statistics.mean(len(t.split()) for t in texts)
    print(f"messages: {len(texts)} from {args.data} (mean {words:.0f} words), {args.rounds} rounds, one at a time")
    print(f"model load (import + Triage.load): {load_seconds:.2f} s   RSS: {rss_mb():.0f} MB")
    print(f"{'':<28}{'p50 ms':>9}{'p99 ms':>9}{'msg/s':>9}")
    for name, values in (("word_tokenize (floor)", floor), ("Triage.classify", ours)):
        print(f"{name:<28}{percentile(values, .5) * 1e3:>9.3f}{percentile(values, .99) * 1e3:>9.3f}"
              f"{len(values) / sum(values):>9.0f}")
    print(f"classify p50 / floor p50: {percentile(ours, .5) / percentile(floor, .5):.2f}x")
    total = sum(stages.values())
    print("time split (mean per message):")
    for stage, seconds in stages.items():
        print(f"  {stage:<24}{seconds / len(texts) * 1e3:>8.3f} ms  {seconds / total:>6.1%}")


if __name__ == "__main__":
    main()
