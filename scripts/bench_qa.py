#!/usr/bin/env python3
"""Benchmark the policy Q&A: latency of one answer on the real knowledge base and on a synthetic one 100× larger,
knowledge-base load + index time, and peak memory.

    .venv/bin/python scripts/bench_qa.py [--repeat 20]

The synthetic base copies every real entry 100 times with 20 % of each text's characters replaced by other
characters of the knowledge base, so it has the real vocabulary but many more, less distinct entries.
Queries are the entries' titles and aliases, typo'd variants of them, and off-topic lines.
Last line: p99_ms_real=… p99_ms_100x=… load_s=… rss_mb=… (rss_mb: peak RSS of the process serving the real base,
measured before the synthetic one is built; the 100× figure is printed on the line before).
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.kernel.models import Entry  # noqa: E402
from bot.qa import knowledge  # noqa: E402
from bot.qa.matcher import Matcher  # noqa: E402

OFF_TOPIC = ["今天天气怎么样", "护照怎么办理", "帮我写一首诗", "股票明天会涨吗", "高铁票怎么退", "你好", "😀", "？？"]


def perturb(text: str, alphabet: list[str], rng: random.Random, share: float = 0.2) -> str:
    chars = list(text)
    for i in rng.sample(range(len(chars)), k=int(len(chars) * share)):
        chars[i] = rng.choice(alphabet)
    return "".join(chars)


def synthetic(entries: list[Entry], times: int, rng: random.Random) -> list[Entry]:
    alphabet = sorted({c for e in entries for c in e.answer if "\u4e00" <= c <= "\u9fff"})
    out = []
    for n in range(times):
        for e in entries:
            out.append(e.model_copy(update={
                "id": f"{e.id}.s{n}",
                "title": perturb(e.title, alphabet, rng) if n else e.title,
                "answer": perturb(e.answer, alphabet, rng) if n else e.answer,
                "aliases": [perturb(a, alphabet, rng) for a in e.aliases] if n else e.aliases,
                "facts": [],
            }))
    return out


def queries(entries: list[Entry], rng: random.Random) -> list[str]:
    names = [n for e in entries for n in (e.title, *e.aliases)]
    typo = [n[:-1] + "得" if len(n) > 2 else n for n in names[::3]]
    return names + typo + [f"{n}要求是多少" for n in names[::5]] + OFF_TOPIC


def latencies(matcher: Matcher, qs: list[str], repeat: int) -> list[float]:
    for q in qs[:20]:
        matcher.match(q)  # warm caches
    out = []
    for _ in range(repeat):
        for q in qs:
            t = time.perf_counter()
            matcher.match(q)
            out.append((time.perf_counter() - t) * 1000)
    return sorted(out)


def pct(sorted_ms: list[float], p: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * p))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    rng = random.Random(2021)

    t = time.perf_counter()
    kb = knowledge.load(quiz_root=None)
    real = Matcher(kb.entries, kb.synonyms)
    load_s = time.perf_counter() - t

    qs = queries(kb.entries, rng)
    real_ms = latencies(real, qs, args.repeat)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # the bot's own size: real base only
    print(f"real: {len(kb.entries)} entries, {len(real_ms)} answers: p50={statistics.median(real_ms):.3f} ms "
          f"p99={pct(real_ms, 0.99):.3f} ms; load+index {load_s:.3f} s; peak RSS {rss_mb:.0f} MB")

    big = synthetic(kb.entries, 100, rng)
    t = time.perf_counter()
    big_matcher = Matcher(big, kb.synonyms)
    index_big_s = time.perf_counter() - t
    big_ms = latencies(big_matcher, qs, max(1, args.repeat // 10))
    print(f"100x: {len(big)} entries, {len(big_ms)} answers: p50={statistics.median(big_ms):.3f} ms "
          f"p99={pct(big_ms, 0.99):.3f} ms; index {index_big_s:.2f} s")

    rss_big_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"100x: peak RSS with both bases built {rss_big_mb:.0f} MB")
    print(f"p99_ms_real={pct(real_ms, 0.99):.3f} p99_ms_100x={pct(big_ms, 0.99):.3f} load_s={load_s:.3f} "
          f"rss_mb={rss_mb:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
