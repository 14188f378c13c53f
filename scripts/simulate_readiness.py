"""Does the readiness verdict predict the interview? Simulated cadres practise through the dialog; an exam on items
they never practised is the truth.

    .venv/bin/python scripts/simulate_readiness.py [--people K] [--days D] [--seed S] [--rule config/readiness.yaml]

Each simulated cadre has a role and a hidden share ``k`` of their role's questions they know (each question known
with probability k), slips (a known answer given wrong 5 % of the time), forgetting (a known question forgotten
with probability 0.5 % a day) and learning (a question answered wrong is learnt from the explanation with
probability 0.3). Over D simulated days (the clock override, :mod:`bot.kernel.clock`) each practises on some days
through ``Dialog.handle(Incoming(...))`` exactly as the terminal does — /start, /practice, buttons, typed fill-ins —
and some take a mock interview (/interview), answering a question with its model answer when they know it.
On the last day the coordinators' report judges everyone under the rule; the truth is an exam of up to 30 of
their role's questions they never practised (right when known and not slipped; pass at ≥ 80 %).

Last line: ``people=K false_ready=… unprepared_recall=… ready_recall=…`` — false_ready: share of those called
ready who would fail; unprepared_recall: share of those who would fail called not ready; ready_recall: share of
those who would pass called ready.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.coordination import reports  # noqa: E402
from bot.coordination.readiness import load_rule  # noqa: E402
from bot.dialog import Dialog  # noqa: E402
from bot.kernel import clock  # noqa: E402
from bot.kernel.messages import Incoming  # noqa: E402
from bot.kernel.models import QuestionType  # noqa: E402
from bot.kernel.store import Store  # noqa: E402
from bot.qa import knowledge  # noqa: E402

SLIP, FORGET, LEARN, PASS_MARK, EXAM_ITEMS = 0.05, 0.005, 0.3, 0.8, 30


class Cadre:
    """One simulated person: account key, role, hidden knowledge and habits."""

    def __init__(self, i: int, role, items: list[str], rng: random.Random):
        self.key, self.role, self.rng = f"sim:{i}", role, rng
        self.k = rng.uniform(0.45, 1.0)
        self.known = {q for q in items if rng.random() < self.k}
        self.activity = rng.uniform(0.15, 0.9)
        self.takes_interview = rng.random() < 0.75
        self.practised: set[str] = set()

    def knows(self, qid: str) -> bool:
        return qid in self.known and self.rng.random() >= SLIP


def register(dialog: Dialog, c: Cadre, n: int) -> None:
    for msg in (Incoming(c.key, text="/start"), Incoming(c.key, text=f"模拟{n}号"),
                Incoming(c.key, button=f"role:{c.role.value}"), Incoming(c.key, text="模拟镇"),
                Incoming(c.key, text=f"模拟{n % 20}村")):
        dialog.handle(msg)


def practise(dialog: Dialog, c: Cadre) -> None:
    """One /practice session, every question answered by button or typing, as a person would."""
    dialog.handle(Incoming(c.key, text="/practice"))
    person = dialog.store.person(c.key)
    for _ in range(40):
        session = dialog.store.open_session(person.id)
        if session is None or session.mode != "practice":
            return
        qid = session.question_ids[session.position]
        question = dialog.quiz.question(qid)
        right = c.knows(qid)
        if question.type is QuestionType.fillin:
            dialog.handle(Incoming(c.key, text=question.answer_text if right else "9999"))
        else:
            options = dialog.quiz.options(session, question)
            answer = question.answer if isinstance(question.answer, list) else [question.answer]
            wanted = [i for i, o in enumerate(options) if o in answer]
            if not right:
                wanted = [c.rng.randrange(len(options))]
            if question.type is QuestionType.multiple:
                for i in wanted:
                    dialog.handle(Incoming(c.key, button=f"m:{session.id}:{session.position}:{i}"))
                dialog.handle(Incoming(c.key, text="提交"))
            else:
                dialog.handle(Incoming(c.key, button=f"q:{session.id}:{session.position}:{wanted[0]}"))
        c.practised.add(qid)
        if qid not in c.known and c.rng.random() < LEARN:
            c.known.add(qid)


def interview(dialog: Dialog, c: Cadre) -> None:
    """One /interview: the model answer when the cadre knows the topic (probability k), else a vague one."""
    dialog.handle(Incoming(c.key, text="/interview"))
    person = dialog.store.person(c.key)
    for _ in range(12):
        session = dialog.store.open_session(person.id)
        if session is None or session.mode != "interview":
            return
        question = dialog.interviewer.question(session.question_ids[session.position])
        knows = c.rng.random() < c.k and c.rng.random() >= SLIP
        dialog.handle(Incoming(c.key, text=question.model_answer if knows else "这个我还不太清楚，回去再学习一下"))


def main(argv: list[str] | None = None) -> str:
    p = argparse.ArgumentParser()
    p.add_argument("--people", type=int, default=600)
    p.add_argument("--days", type=int, default=21)
    p.add_argument("--seed", type=int, default=11)
    p.add_argument("--rule", default=None, help="readiness rule file (default: config/readiness.yaml)")
    args = p.parse_args(argv)
    rng = random.Random(args.seed)
    kb = knowledge.load(knowledge.DEFAULT_KNOWLEDGE, knowledge.DEFAULT_QUIZZES)
    rule = load_rule(args.rule)
    start = date(2026, 9, 1)
    clock.set_today(start)
    db = Path(tempfile.mkdtemp()) / "sim.db"
    dialog = Dialog(kb, Store(db))
    roles = [r for r in kb.curricula if dialog.practice.curriculum.questions(r)]
    cadres = []
    for i in range(args.people):
        role = roles[i % len(roles)]
        c = Cadre(i, role, dialog.practice.curriculum.questions(role), rng)
        register(dialog, c, i)
        cadres.append(c)
    for day in range(args.days):
        clock.set_today(start + timedelta(days=day))
        for c in cadres:
            c.known = {q for q in c.known if rng.random() >= FORGET}
            if rng.random() < c.activity:
                practise(dialog, c)
            if c.takes_interview and day >= args.days - 10 and rng.random() < 0.15:
                interview(dialog, c)
    clock.set_today(start + timedelta(days=args.days - 1))
    report = reports.build_report(dialog.store, kb, rule, reports.Scope(None), clock.now(), with_unanswered=False)
    verdict = {p.person_id: p.verdict.ready for p in report.people}
    called_ready = would_pass = false_ready = caught = passed_called = would_fail = 0
    for c in cadres:
        items = dialog.practice.curriculum.questions(c.role)
        fresh = [q for q in items if q not in c.practised] or items
        exam = rng.sample(fresh, min(EXAM_ITEMS, len(fresh)))
        passes = sum(c.knows(q) for q in exam) >= PASS_MARK * len(exam)
        ready = verdict[dialog.store.person(c.key).id]
        called_ready += ready
        would_pass += passes
        would_fail += not passes
        false_ready += ready and not passes
        caught += (not ready) and not passes
        passed_called += ready and passes
    line = (f"people={len(cadres)} false_ready={false_ready / max(1, called_ready):.3f} "
            f"unprepared_recall={caught / max(1, would_fail):.3f} ready_recall={passed_called / max(1, would_pass):.3f}")
    print(f"called_ready={called_ready} would_pass={would_pass} would_fail={would_fail}")
    print(line)
    return line


if __name__ == "__main__":
    main()
