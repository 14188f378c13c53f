"""Practice for each role: curricula, spaced repetition with ``fsrs``, and mock interviews graded by key points.

* A role's curriculum (``quizzes/<assessment>/roles.yaml``) names the indicators and entries its holders must know;
  a question belongs to it when it drills one of them or lists the role.
* One ``fsrs`` card per person × question lives in the ``cards`` table: a wrong answer is rated Again, a right one
  Good, or Hard when it took longer than :data:`SLOW_SECONDS`. ``/practice`` serves due cards of the curriculum
  first, then new ones (at least half a round while any remain), then ones answered wrong before.
* A mock interview asks 5–8 of the role's open questions; each free-text answer is graded by the key points it
  covers (:mod:`bot.practice.grading`), and logged per question and per key point; the interview's score (0–100, the
  mean of its answers) goes to ``mock_interviews``.
"""

from __future__ import annotations

import random
from datetime import datetime
from typing import Any, Callable

from fsrs import Card, Rating, Scheduler

from bot.kernel.models import InterviewQuestion, QuizQuestion
from bot.kernel.roles import Role
from bot.kernel.store import Person, QuizSession, Store, utcnow
from bot.practice.grading import InterviewGrade, grade_interview
from bot.qa.knowledge import KnowledgeBase

SLOW_SECONDS = 30
PRACTICE_QUESTIONS = 10
# Half a round is kept for questions new to the person while any remain. With due cards first, a cadre answering
# 10 a day met only about 33 of their 200–400 questions in three weeks (scripts/simulate_readiness.py): the visit
# is a deadline, so coverage cannot wait for the reviews to run out (as Anki keeps a daily quota of new cards).
NEW_SHARE = 0.5
INTERVIEW_QUESTIONS = (5, 8)


def _now() -> datetime:
    from bot.kernel import clock

    return clock.now()


class Curriculum:
    """Which questions each role must practise.

    Args:
        kb: the knowledge base with its curricula.
        bank: every practice question (curated and generated), by id.
    """

    def __init__(self, kb: KnowledgeBase, bank: dict[str, QuizQuestion]):
        self.kb = kb
        self.bank = bank

    def must_know(self, role: Role | None) -> set[str]:
        """Return the entry and indicator ids the role must know (every entry when the role has no curriculum)."""
        cur = self.kb.curricula.get(role) if role else None
        if cur is None:
            return set(self.kb.by_id)
        ids = set(cur.indicators) | set(cur.entries)
        ids |= {e.id for e in self.kb.entries if e.indicator in cur.indicators}   # an indicator's sub-items
        return ids

    def questions(self, role: Role | None) -> list[str]:
        """Return the ids of the questions in the role's curriculum, in bank order."""
        ids = self.must_know(role)
        return [q.id for q in self.bank.values()
                if q.entry in ids or (q.indicator in ids) or (role is not None and role in q.roles)]


class Practice:
    """Spaced repetition over the question bank, one ``fsrs`` card per person × question.

    Args:
        store: the database.
        curriculum: the role curricula.
        scheduler: an ``fsrs.Scheduler`` (default parameters if None).
        rng: random source for the order of new questions.
    """

    def __init__(self, store: Store, curriculum: Curriculum, scheduler: Scheduler | None = None,
                 rng: random.Random | None = None):
        self.store = store
        self.curriculum = curriculum
        self.scheduler = scheduler or Scheduler(enable_fuzzing=False)
        self.rng = rng or random.Random()
        # Per-person questions (e.g. village facts): set by the dialog to QuizMaster.person_questions.
        self.extra: Callable[[Person], list[QuizQuestion]] = lambda person: []

    def cards(self, person_id: int) -> dict[str, dict[str, Any]]:
        """Return the person's cards by question id (``due`` ISO text, ``reps``, ``lapses``)."""
        return {r["question_id"]: r for r in self.store.db["cards"].rows_where("person_id = ?", [person_id])}

    def pick(self, person: Person, count: int = PRACTICE_QUESTIONS, now: datetime | None = None) -> list[str]:
        """Choose up to ``count`` question ids: due cards of the person's curriculum (earliest first), then up to a
        third of the round of ones answered wrong before (so a round after mistakes revisits them), together at most
        the round less its share of new ones (:data:`NEW_SHARE`, while any are new), then new ones, then the other
        misses; other questions only when the curriculum is used up. A fact is asked once per round
        (its fill-in and its choice question, or the same fact stated in two entries: ``QuizQuestion.fact``)."""
        now_text = (now or _now()).isoformat()
        role = Role(person.role) if person.role else None
        extra = self.extra(person)
        own = [q.id for q in extra]
        by_id = {**self.curriculum.bank, **{q.id: q for q in extra}}
        mine = self.curriculum.questions(role) + own
        cards = self.cards(person.id)
        due = sorted((q for q in mine if q in cards and cards[q]["due"] <= now_text), key=lambda q: cards[q]["due"])
        new = [q for q in mine if q not in cards]
        self.rng.shuffle(new)
        if own:   # [villages] new per-person questions (their own village's facts) alternate with the curriculum's
            own_ids = set(own)
            new = _alternate([q for q in new if q in own_ids], [q for q in new if q not in own_ids])
        weak = sorted((q for q in mine if q in cards and cards[q]["lapses"] and q not in due),
                      key=lambda q: -cards[q]["lapses"])
        revisit = weak[:count // 3]
        keep_new = min(round(count * NEW_SHARE), len(new))   # due cards not served today stay due tomorrow
        first = _one_per_fact(due + revisit, by_id, count - keep_new)
        chosen = _one_per_fact(first + new + due + weak[count // 3:], by_id, count)
        if len(chosen) < count:
            others = [q for q in self.curriculum.bank if q not in mine and (q not in cards or cards[q]["due"] <= now_text)]
            self.rng.shuffle(others)
            chosen = _one_per_fact(chosen + others, by_id, count)
        return chosen

    def revisits(self, person_id: int, question_ids: list[str], now: datetime | None = None) -> int:
        """How many of ``question_ids`` are due for review or were answered wrong before (what ``/practice``
        says of a round)."""
        now_text = (now or _now()).isoformat()
        cards = self.cards(person_id)
        return sum(1 for q in question_ids if q in cards and (cards[q]["due"] <= now_text or cards[q]["lapses"]))

    def review(self, person_id: int, question_id: str, correct: bool, seconds: float | None,
               now: datetime | None = None) -> Rating:
        """Rate one answer (Again if wrong; Good if right, Hard if it took over :data:`SLOW_SECONDS` s), update
        and store the card in a transaction of its own; return the rating. Inside an answer's transaction use
        :meth:`review_in_transaction`."""
        return self.store.write(lambda: self.review_in_transaction(person_id, question_id, correct, seconds, now))

    def review_in_transaction(self, person_id: int, question_id: str, correct: bool, seconds: float | None,
                              now: datetime | None = None) -> Rating:
        """As :meth:`review`, writing through the caller's open transaction without committing (see
        :meth:`bot.kernel.store.Store.write`): the card commits with the answer it rates, or not at all."""
        rating = Rating.Again if not correct else (
            Rating.Hard if seconds is not None and seconds > SLOW_SECONDS else Rating.Good)
        row = next(self.store.db.query("select card, reps, lapses from cards where person_id = ? and question_id = ?",
                                       [person_id, question_id]), None)
        card = Card.from_json(row["card"]) if row else Card()
        card, _ = self.scheduler.review_card(card, rating, now or _now())
        self.store.db.execute(
            "insert into cards (person_id, question_id, card, due, reps, lapses, updated_at) "
            "values (?, ?, ?, ?, ?, ?, ?) on conflict (person_id, question_id) do update set card = excluded.card, "
            "due = excluded.due, reps = excluded.reps, lapses = excluded.lapses, updated_at = excluded.updated_at",
            [person_id, question_id, card.to_json(), card.due.isoformat(), (row["reps"] if row else 0) + 1,
             (row["lapses"] if row else 0) + (rating is Rating.Again), utcnow()])
        return rating


def _one_per_fact(ids: list[str], by_id: dict[str, QuizQuestion], count: int) -> list[str]:
    """The first ``count`` of ``ids`` (in order, each once), leaving out a question whose fact is already in."""
    out: list[str] = []
    if count <= 0:
        return out
    facts: set[str] = set()
    for qid in ids:
        question = by_id.get(qid)
        fact = (question.fact if question is not None else None) or qid
        if qid in out or fact in facts:
            continue
        out.append(qid)
        facts.add(fact)
        if len(out) == count:
            break
    return out


def _alternate(first: list[str], second: list[str]) -> list[str]:
    """Return the items of both lists interleaved, starting with ``first``; the longer list's rest at the end."""
    out = [q for pair in zip(first, second) for q in pair]
    shorter = min(len(first), len(second))
    return out + first[shorter:] + second[shorter:]


def mark_shown(store: Store, session_id: int) -> None:
    """Record when the session's current question was shown (to tell a slow answer)."""
    store.db["quiz_sessions"].update(session_id, {"shown_at": utcnow()})


def seconds_since_shown(store: Store, session_id: int) -> float | None:
    """Return seconds since the session's current question was shown, or None if unknown."""
    shown = store.db["quiz_sessions"].get(session_id).get("shown_at")
    if not shown:
        return None
    return (_now() - datetime.fromisoformat(shown)).total_seconds()


class Interviewer:
    """Mock interviews: picks the role's open questions, grades answers, logs every key point.

    Args:
        kb: the knowledge base with its interview questions.
        store: the database.
        rng: random source for choosing questions.
    """

    def __init__(self, kb: KnowledgeBase, store: Store, rng: random.Random | None = None):
        self.kb = kb
        self.store = store
        self.rng = rng or random.Random()
        self.by_id = {q.id: q for q in kb.interview}
        self.sources: list[Any] = []   # QuestionSource objects (see bot.practice.quiz), shared with the QuizMaster

    def question(self, question_id: str, person: Person | None = None) -> InterviewQuestion:
        """Return the interview question ``question_id``, shared or per-person; with ``person``, only one that
        person may see now (KeyError if unknown or withheld from them)."""
        if question_id in self.by_id:
            return self.by_id[question_id]
        for source in self.sources:
            found = source.question(question_id, person)
            if isinstance(found, InterviewQuestion):
                return found
        raise KeyError(question_id)

    def pick(self, person: Person) -> list[str]:
        """Return 5–8 interview question ids for the person's role (their own per-person questions, e.g. their
        village's facts, first), least recently answered first."""
        role = Role(person.role) if person.role else None
        own = [q.id for source in self.sources for q in source.interview_for(person)]
        mine = [q.id for q in self.kb.interview if role is None or role in q.roles]
        last = {r["question_id"]: r["at"] for r in self.store.db.query(
            "select question_id, max(answered_at) as at from interview_answers where person_id = ? "
            "group by question_id", [person.id])}
        self.rng.shuffle(mine)
        mine.sort(key=lambda q: last.get(q, ""))
        self.rng.shuffle(own)
        own.sort(key=lambda q: last.get(q, ""))
        low, high = INTERVIEW_QUESTIONS
        # At most half of an interview is about the person's own village; the rest is policy.
        chosen = own[:high // 2] + mine
        return chosen[:high] if len(chosen) >= low else chosen

    def answer(self, session: QuizSession, text: str) -> tuple[InterviewGrade, QuizSession] | None:
        """Grade and record the answer to the session's current question and advance.

        Returns:
            (grade, updated session), or None when that question already has an answer (a double send).
        """
        question = self.question(session.question_ids[session.position])
        grade = self._grade(question, text)
        db = self.store.db
        with db.conn:
            cur = db.execute("insert or ignore into interview_answers (person_id, session_id, question_id, answer, "
                             "score, answered_at) values (?, ?, ?, ?, ?, ?)",
                             [session.person_id, session.id, question.id, text[:2000], grade.score, utcnow()])
            if cur.rowcount == 0:
                return None
            answer_id = cur.lastrowid
            for point in question.key_points:
                db.execute("insert into interview_points (answer_id, person_id, question_id, point, covered) "
                           "values (?, ?, ?, ?, ?)",
                           [answer_id, session.person_id, question.id, point.point, int(point in grade.covered)])
            position = session.position + 1
            finished = position >= len(session.question_ids)
            db.execute("update quiz_sessions set position = ?, correct = correct + ?, status = ?, finished_at = ? "
                       "where id = ?", [position, int(grade.score >= 60), "finished" if finished else "open",
                                        utcnow() if finished else None, session.id])
            if finished:
                mean = db.execute("select avg(score) from interview_answers where session_id = ?",
                                  [session.id]).fetchone()[0]
                person = self.store.person_by_id(session.person_id)
                db.execute("insert into mock_interviews (person_id, session_id, role, score, finished_at) "
                           "values (?, ?, ?, ?, ?)", [session.person_id, session.id, person.role, round(mean, 1),
                                                      utcnow()])
        return grade, self.store.session(session.id)

    def _grade(self, question: InterviewQuestion, text: str) -> InterviewGrade:
        """[villages] A per-person source may grade its own questions (``grade_interview``, e.g. figures compared as
        numbers); every other question is graded by :func:`bot.practice.grading.grade_interview`, as before."""
        for source in self.sources:
            grader = getattr(source, "grade_interview", None)
            grade = grader(question, text) if grader is not None else None
            if grade is not None:
                return grade
        return grade_interview(question, text)

    def session_score(self, session_id: int) -> float:
        """Return the mean score (0–100) of a session's answers."""
        return self.store.db.execute("select coalesce(avg(score), 0) from interview_answers where session_id = ?",
                                     [session_id]).fetchone()[0]

    def missed_points(self, session_id: int) -> list[tuple[str, str]]:
        """Return (question id, point) for every key point missed in a session."""
        return [(r["question_id"], r["point"]) for r in self.store.db.query(
            "select p.question_id, p.point from interview_points p join interview_answers a on a.id = p.answer_id "
            "where a.session_id = ? and p.covered = 0", [session_id])]

