"""Throughput of the Telegram bot: the real python-telegram-bot Application (handlers, per-person ordered
concurrent update processing, rate limiter) and the real dialog on a fresh SQLite database, against the offline
fake Bot API (tests/fake_bot_api.py) with a simulated round trip per call.

N people each keep one update in flight — the next is sent when the bot has finished the previous one — for a
fixed time: a mix of policy questions typed (one in three) and quiz steps (a tap on an option, a tick and
submit on a multiple-choice question, a typed fill-in answer, /quiz 10 when a quiz ends). Updates go into the
application's update queue as polling or the webhook would put them. Latency is from that moment to the end of
the update's handling (every reply sent).

    .venv/bin/python scripts/bench_telegram.py [--users 200] [--rtt-ms 50] [--seconds 20] [--warmup 3]

Last line: ``users=200 rtt_ms=50 updates_per_s=… p99_ms=… calls_per_update=…``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from telegram import Update  # noqa: E402
from telegram.ext import ApplicationHandlerStop, TypeHandler  # noqa: E402

from bot.adapters.telegram import build_application  # noqa: E402
from bot.cli import build_parser, make_dialog  # noqa: E402
from tests.fake_bot_api import FakeBotAPI  # noqa: E402


class CountingAPI(FakeBotAPI):
    """The fake Bot API, also counting calls per chat (a button acknowledgement counts for the presser's chat)."""

    def __init__(self, rtt_s: float):
        super().__init__(rtt_s=rtt_s)
        self.per_chat: Counter = Counter()
        self.query_chat: dict[str, int] = {}

    async def do_request(self, url, method, request_data=None, **kwargs):
        params = request_data.parameters if request_data else {}
        owner = params.get("chat_id") or self.query_chat.get(params.get("callback_query_id"))
        if owner is not None:
            self.per_chat[owner] += 1
        return await super().do_request(url, method, request_data, **kwargs)


def questions_from(kb) -> list[str]:
    """Questions as cadres type them: the names and aliases of the knowledge base's entries."""
    names = [name for entry in kb.entries for name in [entry.title, *entry.aliases]]
    return [n for n in names if 2 <= len(n) <= 30]


async def bench(users: int, rtt_ms: float, seconds: float, warmup: float, seed: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        dialog = make_dialog(build_parser().parse_args(["--db", str(Path(tmp) / "bench.db"), "chat"]))
        api = CountingAPI(rtt_ms / 1000)
        app = build_application("123456:BENCH-TOKEN", dialog, request=api)
        finished: dict[int, asyncio.Future] = {}

        async def done(update: Update, context) -> None:
            future = finished.pop(update.update_id, None)
            if future is not None and not future.done():
                future.set_result(time.perf_counter())
            raise ApplicationHandlerStop

        app.add_handler(TypeHandler(Update, done), group=99)   # after the conversation handlers
        await app.initialize()
        await app.post_init(app)
        await app.start()

        questions = questions_from(dialog.kb)
        update_ids = iter(range(1, 10**9))
        start = time.perf_counter()
        measure_from, measure_to = start + warmup, start + warmup + seconds
        samples: list[tuple[str, float, int]] = []   # (kind, latency s, Bot API calls)

        async def person(n: int) -> None:
            rng = random.Random(seed * 100_003 + n)
            user = {"id": 10_000 + n, "is_bot": False, "first_name": f"干部{n}"}
            chat = {"id": user["id"], "type": "private"}
            message_id = 0

            async def put(kind: str, payload: dict) -> None:
                update_id = next(update_ids)
                future = asyncio.get_running_loop().create_future()
                finished[update_id] = future
                calls_before = api.per_chat[chat["id"]]
                sent_at = time.perf_counter()
                await app.update_queue.put(Update.de_json({"update_id": update_id, **payload}, app.bot))
                ended = await future
                if measure_from <= sent_at and ended <= measure_to:
                    samples.append((kind, ended - sent_at, api.per_chat[chat["id"]] - calls_before))

            async def say(kind: str, text: str) -> None:
                nonlocal message_id
                message_id += 1
                message = {"message_id": message_id, "date": 0, "chat": chat, "from": user, "text": text}
                if text.startswith("/"):
                    message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
                await put(kind, {"message": message})

            async def press(data: str) -> None:
                query = api.press(data, chat["id"], user)
                api.query_chat[query["id"]] = chat["id"]
                await put("quiz step", {"callback_query": query})

            await asyncio.sleep(rng.random() * 0.5)   # people do not all start in the same millisecond
            await say("command", "/quiz 10")
            while time.perf_counter() < measure_to:
                last = api.last_message(chat["id"])
                text = last.get("text", "")
                rows = (last.get("reply_markup") or {}).get("inline_keyboard", [])
                data = [b["callback_data"] for row in rows for b in row]
                if "练习结束" in text:
                    await say("command", "/quiz 10")
                elif rng.random() < 1 / 3:
                    await say("question", rng.choice(questions))
                elif data and data[0].startswith("q:"):
                    await press(rng.choice(data))
                elif data and data[0].startswith("m:"):
                    ticked = "✅" in str(rows)
                    await press(data[-1] if ticked else rng.choice(data[:-1]))
                elif "请直接输入答案" in text:
                    await say("quiz step", str(rng.randint(1, 100)))
                else:
                    await say("question", rng.choice(questions))

        await asyncio.gather(*(person(n) for n in range(users)))
        await app.stop()
        await app.shutdown()
        dialog.store.db.conn.close()

    latencies = sorted(s[1] for s in samples)
    steps = [s[2] for s in samples if s[0] == "quiz step"]
    return {
        "updates": len(samples),
        "updates_per_s": len(samples) / seconds,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * _p99(latencies),
        "calls_per_update": sum(s[2] for s in samples) / len(samples),
        "quiz_steps": len(steps),
        "calls_per_quiz_step_max": max(steps) if steps else 0,
        "calls_per_quiz_step_mean": statistics.mean(steps) if steps else 0.0,
        "kinds": Counter(s[0] for s in samples),
        "p99_ms_by_kind": {kind: 1000 * _p99(sorted(s[1] for s in samples if s[0] == kind))
                           for kind in sorted({s[0] for s in samples})},
    }


def _p99(values: list[float]) -> float:
    return values[min(len(values) - 1, int(0.99 * len(values)))]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the figures; the last line is the summary."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--users", type=int, default=200)
    p.add_argument("--rtt-ms", type=float, default=50.0, help="simulated round trip of every Bot API call")
    p.add_argument("--seconds", type=float, default=20.0, help="measured time, after the warm-up")
    p.add_argument("--warmup", type=float, default=3.0)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    r = asyncio.run(bench(args.users, args.rtt_ms, args.seconds, args.warmup, args.seed))
    print(f"updates={r['updates']} in {args.seconds:g} s: {dict(r['kinds'])}")
    print("p99_ms by kind: " + " ".join(f"{k}={v:.0f}" for k, v in r["p99_ms_by_kind"].items()))
    print(f"p50_ms={r['p50_ms']:.0f} quiz_steps={r['quiz_steps']} calls_per_quiz_step: "
          f"max={r['calls_per_quiz_step_max']} mean={r['calls_per_quiz_step_mean']:.2f}")
    print(f"users={args.users} rtt_ms={args.rtt_ms:g} updates_per_s={r['updates_per_s']:.1f} "
          f"p99_ms={r['p99_ms']:.0f} calls_per_update={r['calls_per_update']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
