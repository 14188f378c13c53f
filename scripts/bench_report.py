"""Benchmark the coordinators' reports at scale (not a test): fill a database with 10 000 invented roster people
(all bound, 12 towns, 240 villages) and 1 000 000 quiz answers over the real quiz bank, then time the city report
and one town's report (query + verdicts + text rendering), best of three runs. The answers are inserted with
plain SQL; the triggers keep latest_answers and person_progress as the bot's own writes would.

    .venv/bin/python scripts/bench_report.py [--people N] [--answers N] [--db FILE]

Last line: ``people=10000 answers=1000000 city_report_s=… town_report_s=…``. Target: each ≤ 0.5 s.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.coordination import (
    report_views,
    reports,  # noqa: E402
)
from bot.coordination.readiness import ReadinessRule, load_rule  # noqa: E402
from bot.kernel.roles import Role  # noqa: E402
from bot.kernel.store import Store  # noqa: E402
from bot.qa import knowledge  # noqa: E402

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红燕鹏辉海波宁晨文斌浩凯建国志宏"


def fill(store: Store, kb: knowledge.KnowledgeBase, people: int, answers: int, rng: random.Random) -> None:
    """Insert invented roster people (each bound to an account) and quiz answers spread over the last 20 days."""
    roles = list(Role)
    towns = [f"测试{i}镇" for i in range(12)]
    now = datetime.now(timezone.utc)
    db = store.db
    with db.conn:
        db.conn.executemany("insert into people (id, key, name, role, town, village, registered, created_at) "
                            "values (?, ?, ?, ?, ?, ?, 1, ?)",
                            [(i, f"tg:{10 ** 6 + i}", f"{rng.choice(SURNAMES)}{rng.choice(GIVEN)}{i}",
                              rng.choice(roles).value, towns[i % 12], f"{towns[i % 12]}{(i // 12) % 20}村",
                              now.isoformat(timespec="seconds")) for i in range(1, people + 1)])
        db.execute("insert into roster (name, role, town, village, invite_code, invite_used_at, person_id, "
                   "imported_at, updated_at) select name, role, town, village, 'code' || id, created_at, id, "
                   "created_at, created_at from people")
    questions = [q.id for q in kb.questions]
    per_person = answers // people
    rows = []
    aid = 0
    for pid in range(1, people + 1):
        base = now - timedelta(days=rng.uniform(0, 20))
        skill = rng.random()
        for k in range(per_person):
            aid += 1
            rows.append((aid, pid, aid, rng.choice(questions), "x", int(rng.random() < skill), "quiz",
                         (base + timedelta(minutes=k)).isoformat(timespec="seconds")))
        if len(rows) >= 200_000:
            _insert(store, rows)
            rows = []
    _insert(store, rows)
    db.execute("analyze")


def _insert(store: Store, rows: list[tuple]) -> None:
    with store.db.conn:
        store.db.conn.executemany("insert or ignore into quiz_answers (id, person_id, session_id, question_id, chosen, "
                                  "correct, mode, answered_at) values (?, ?, ?, ?, ?, ?, ?, ?)", rows)


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--answers", type=int, default=1_000_000)
    parser.add_argument("--db", help="database file (default: a temporary one); reused if it already has data")
    parser.add_argument("--rule", choices=("shipped", "plain"), default="shipped",
                        help="shipped: config/readiness.yaml (answer age window, first attempts counted); "
                             "plain: the rule's defaults (latest attempts, no window)")
    args = parser.parse_args()
    kb = knowledge.load()
    folder = tempfile.TemporaryDirectory()
    store = Store(args.db or Path(folder.name) / "bench.db")
    start = time.perf_counter()
    if not store.db.execute("select count(*) from people").fetchone()[0]:
        fill(store, kb, args.people, args.answers, random.Random(1))
    count = store.db.execute("select count(*) from quiz_answers").fetchone()[0]
    print(f"filled in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    visit = datetime.now(timezone.utc).date() + timedelta(days=10)
    rule = (load_rule().model_copy(update={"visit_date": visit}) if args.rule == "shipped"
            else ReadinessRule(visit_date=visit))
    # Once after the quiz bank changes (here: a new database), the first report rebuilds person_progress.
    start = time.perf_counter()
    reports.sync_role_questions(store, kb)
    print(f"quiz bank synced, person_progress rebuilt if needed, in {time.perf_counter() - start:.2f} s",
          file=sys.stderr)

    def run(scope: reports.Scope) -> None:
        report = reports.build_report(store, kb, rule, scope)
        report_views.render_report_text(report)

    city = best_of(3, lambda: run(reports.Scope(None)))
    town = best_of(3, lambda: run(reports.Scope("测试3镇")))
    print(f"rule={args.rule} people={args.people} answers={count} city_report_s={city:.3f} town_report_s={town:.3f}")


if __name__ == "__main__":
    main()
