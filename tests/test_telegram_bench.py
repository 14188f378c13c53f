"""scripts/bench_telegram.py runs (briefly) and a quiz step never takes more than two Bot API calls."""

from __future__ import annotations

import asyncio
import importlib.util
import re
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "bench_telegram.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_telegram", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_a_short_bench_run_keeps_quiz_steps_at_two_calls(capsys):
    bench = load_bench()
    result = asyncio.run(bench.bench(users=10, rtt_ms=5, seconds=2.0, warmup=0.3, seed=3))
    assert result["quiz_steps"] > 20 and result["calls_per_quiz_step_max"] <= 2
    assert result["kinds"]["question"] > 5 and result["calls_per_update"] < 2
    assert bench.main(["--users", "5", "--rtt-ms", "5", "--seconds", "0.5", "--warmup", "0.2"]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    assert re.fullmatch(r"users=5 rtt_ms=5 updates_per_s=[\d.]+ p99_ms=\d+ calls_per_update=[\d.]+", last)
