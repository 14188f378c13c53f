"""A person's own progress, as ``/me`` shows it: answers, weakest indicators, spaced-repetition cards, mock
interviews."""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

from bot.kernel.roles import Role
from bot.kernel.store import Person, Store, utcnow
from bot.qa.knowledge import KnowledgeBase

from .quiz import QuizMaster
from .spaced import Practice


class PracticeParts(Protocol):
    """What /me reads: the store, the knowledge base, the quiz bank and the spaced-repetition cards."""

    store: Store
    kb: KnowledgeBase
    quiz: QuizMaster
    practice: Practice


def me_text(chat: PracticeParts, person: Person) -> str:
    """Return ``/me`` for ``person``: who they are, answered/right (%), the three weakest indicators (right/answered
    per indicator or entry of the plan), then :func:`practice_status`."""
    answers = chat.store.answers(person.id)
    who = (f"{person.name}（{Role(person.role).label}，{person.town} {person.village}）"
           if person.registered and person.role else "未登记（发送 /start 登记）")
    practice = practice_status(chat, person)
    if not answers:
        return f"{who}\n还没有做过练习。发送 /practice 或 /quiz 开始。{practice}"
    right = sum(a["correct"] for a in answers)
    per_indicator: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for a in answers:
        q = chat.quiz.by_id.get(a["question_id"])
        if q is None:
            continue
        # Grouped by indicator; questions on the plan's other parts (sampling, areas …) by their entry.
        topic = chat.kb.by_id.get(q.indicator or q.entry)
        if topic is not None:
            per_indicator[topic.title][0] += 1
            per_indicator[topic.title][1] += a["correct"]
    weakest = sorted(((r / n, n, t) for t, (n, r) in per_indicator.items() if r < n))[:3]
    lines = [who, f"已答 {len(answers)} 题，答对 {right} 题，正确率 {100 * right / len(answers):.0f}%。"]
    if weakest:
        lines.append("最需要加强的指标和内容：")
        lines += [f"• {t}：答对 {round(acc * n)}/{n}" for acc, n, t in weakest]
    elif right == len(answers):
        lines.append("目前答过的题全部答对，继续保持！")
    return "\n".join(lines) + practice


def practice_status(chat: PracticeParts, person: Person) -> str:
    """One or two lines (each led by a line break) on spaced-repetition cards and the mock interviews (how many,
    the latest score and the mean, 0–100 分); empty if neither."""
    cards = chat.practice.cards(person.id)
    now = utcnow()
    lines = []
    if cards:
        due = sum(1 for c in cards.values() if c["due"] <= now)
        lines.append(f"间隔复习：{len(cards)} 道题在复习中，现在到期 {due} 道（/practice）。")
    # The latest and the mean, not the best: the readiness check below judges a mean (a best of 92 beside a
    # failed check of mean 46 reads as a contradiction).
    done = chat.store.db.execute("select count(*), avg(score), (select score from mock_interviews where person_id = ? "
                                 "order by id desc limit 1) from mock_interviews where person_id = ?",
                                 [person.id, person.id]).fetchone()
    if done[0]:
        lines.append(f"模拟访谈：做过 {done[0]} 次，最近一次 {done[2]:.0f} 分，平均 {done[1]:.0f} 分（/interview）。")
    return "".join("\n" + line for line in lines)
