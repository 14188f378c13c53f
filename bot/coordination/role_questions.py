"""The role → question pairs readiness counts (``role_questions``): which quiz questions are in each role's
curriculum (the same ones ``/practice`` serves), each one's chance of a lucky guess and the fact it asks, copied into
the database so the reports can count in SQL. Kept apart from :mod:`bot.coordination.reports`, which reads them.
"""

from __future__ import annotations

from bot.kernel.roles import Role
from bot.kernel.store import Store
from bot.qa.knowledge import KnowledgeBase


def _bank(kb: KnowledgeBase) -> dict:
    """Every practice question by id: curated and made from the knowledge base's facts."""
    from bot.practice.generate import questions_from_facts

    return {q.id: q for q in [*kb.questions, *questions_from_facts(kb)]}


def role_questions(kb: KnowledgeBase) -> dict[str, list[str]]:
    """Return {role value: ids of the questions in that role's curriculum} — the same questions ``/practice``
    serves (curated and made from facts; see :class:`bot.practice.spaced.Curriculum`), so what a person practises is
    what readiness counts."""
    from bot.practice.spaced import Curriculum

    curriculum = Curriculum(kb, _bank(kb))
    return {role.value: curriculum.questions(role) for role in Role}


def guess_chances(kb: KnowledgeBase) -> dict[str, float]:
    """Return {question id: chance 0–1 of a right guess among its options} (:func:`bot.practice.quiz.guess_chance`)."""
    from bot.practice.quiz import guess_chance

    return {qid: guess_chance(q) for qid, q in _bank(kb).items()}


def question_facts(kb: KnowledgeBase) -> dict[str, str]:
    """Return {question id: the fact it asks} (``QuizQuestion.fact``: a fill-in and its choice question share one;
    a question naming none is a fact of its own, its id)."""
    return {qid: q.fact or qid for qid, q in _bank(kb).items()}


def sync_role_questions(store: Store, kb: KnowledgeBase | None = None,
                        by_role: dict[str, list[str]] | None = None,
                        guesses: dict[str, float] | None = None, facts: dict[str, str] | None = None) -> dict[str, int]:
    """Make ``role_questions`` hold the (role, question, guess, fact) rows of ``by_role`` (default:
    :func:`role_questions` of ``kb``), ``guesses`` (default: :func:`guess_chances` of ``kb``, else 0) and ``facts``
    (default: :func:`question_facts` of ``kb``, else each question's id); when they change, rebuild every
    ``person_progress`` row from ``latest_answers`` in the same transaction (about 0.3 s for 1 000 000 answers).

    Returns:
        {role value: how many quiz questions the role has}.
    """
    if by_role is None:
        assert kb is not None, "give kb or by_role"
        by_role = role_questions(kb)
    if guesses is None:
        guesses = guess_chances(kb) if kb is not None else {}
    if facts is None:
        facts = question_facts(kb) if kb is not None else {}
    wanted = {(r, q, guesses.get(q, 0.0), facts.get(q, q)) for r, ids in by_role.items() for q in ids}
    read = "select role, question_id, guess, fact from role_questions"
    if set(store.db.execute(read).fetchall()) != wanted:
        conn = store.db.conn
        own = not conn.in_transaction   # inside a caller's transaction, the change becomes part of it
        if own:
            conn.execute("BEGIN IMMEDIATE")   # another process may be doing the same: one at a time
        try:
            if set(conn.execute(read).fetchall()) != wanted:
                conn.execute("delete from role_questions")
                conn.executemany("insert into role_questions (role, question_id, guess, fact) values (?, ?, ?, ?)",
                                 sorted(wanted))
                conn.execute("delete from person_progress")
                conn.execute("insert into person_progress (person_id, role, answered, correct) "
                             "select p.id, p.role, count(la.question_id), coalesce(sum(la.correct), 0) from people p "
                             "left join latest_answers la on la.person_id = p.id and exists (select 1 from "
                             "role_questions rq where rq.role = p.role and rq.question_id = la.question_id) "
                             "group by p.id")
        except BaseException:
            if own:
                conn.rollback()
            raise
        if own:
            conn.commit()
    return {r: len(set(ids)) for r, ids in by_role.items()}
