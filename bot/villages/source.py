"""The village question source for practice and interviews, its judging hooks, the card and must-know ids."""

from __future__ import annotations

from decimal import Decimal

from bot.kernel.models import (
    InterviewQuestion,
    QuestionType,
    QuizQuestion,
)
from bot.kernel.roles import Role
from bot.kernel.store import Person, Store
from bot.practice.grading import InterviewGrade, too_long

from .cells import figure_matches
from .fields import FieldType, VillageFields, load_fields
from .questions import _covered, _Target, field_questions, interview_questions
from .sheet import VillageSheet, _sheet_by_id, sheet_of


# ----------------------------------------------------------------------------------------------- the source
class VillageFacts:
    """The village questions and cards over one store: a :class:`bot.practice.quiz.QuestionSource`.

    Besides the protocol it judges its own fill-in answers (:meth:`judge_fillin`: figures within the field's
    tolerance) and grades its own interview answers (:meth:`grade_interview`: figures compared as numbers).

    Args:
        store: the database with ``village_facts``.
        fields: the field list (default: :func:`load_fields`).
    """

    def __init__(self, store: Store, fields: VillageFields | None = None):
        self.store = store
        self.fields = fields or load_fields()

    # --- QuestionSource
    def questions_for(self, person: Person) -> list[QuizQuestion]:
        """Return the practice questions of the person's own village for the fields their role must know."""
        sheet = sheet_of(self.store, person)
        if sheet is None or not person.role:
            return []
        return [q for f in self.fields.fields if person.role in f.roles for q in field_questions(sheet, f)]

    def interview_for(self, person: Person) -> list[InterviewQuestion]:
        """Return the mock-interview questions of the person's own village for their role."""
        sheet = sheet_of(self.store, person)
        if sheet is None or not person.role:
            return []
        return [q for q, _ in interview_questions(sheet, self.fields) if person.role in q.roles]

    def _parse(self, question_id: str, person: Person | None = None) -> tuple[VillageSheet, str, str] | None:
        """The sheet, field or interview key and kind of a village question id; None for another source's id, a
        village with no sheet, or — with ``person`` — a village that is not the one they may read now (the
        query is then :func:`sheet_of`'s, filtered by their own town and village)."""
        parts = question_id.split(".")
        if len(parts) != 4 or parts[0] != "v":
            return None
        sheet = sheet_of(self.store, person) if person is not None else _sheet_by_id(self.store, parts[1])
        return (sheet, parts[2], parts[3]) if sheet is not None and sheet.id == parts[1] else None

    def question(self, question_id: str, person: Person | None = None) -> QuizQuestion | InterviewQuestion | None:
        """Return the question with this id as the sheet now stands, or None if it is not a village question.

        With ``person`` (whoever it is about to be shown to), None also when that person may not read the village
        any more (:func:`bot.villages.sheet.own_village`: e.g. a roster imported since that does not list them):
        the caller drops it from their open session. Checked on every message, not only at ``/village``."""
        found = self._built(question_id, person)
        return found[0] if found else None

    def _built(self, question_id: str, person: Person | None = None
               ) -> tuple[QuizQuestion | InterviewQuestion, list[_Target]] | None:
        parsed = self._parse(question_id, person)
        if parsed is None:
            return None
        sheet, key, kind = parsed
        if kind == "i":
            return next(((q, t) for q, t in interview_questions(sheet, self.fields) if q.id == question_id), None)
        f = self.fields.by_key.get(key)
        if f is None:
            return None
        return next(((q, []) for q in field_questions(sheet, f) if q.id == question_id), None)

    def source_line(self, question_id: str, person: Person | None = None) -> str | None:
        """Return ``来源：<镇><村>村情表（<import date> 导入）`` for a village question, else None (also, with
        ``person``, when they may not read that village now)."""
        parsed = self._parse(question_id, person)
        if parsed is None:
            return None
        sheet, key, kind = parsed
        by_key = self.fields.by_key
        keys = ([key] if key in by_key else
                next((iv.fields for iv in self.fields.interviews if iv.key == key), None))
        return f"来源：{sheet.town}{sheet.village}村情表（{sheet.imported_on(keys)} 导入）"

    # --- judging (hooks called by QuizMaster.judge and Interviewer.answer)
    def judge_fillin(self, question: QuizQuestion, typed: str) -> bool | None:
        """Judge a typed answer to one of this source's fill-in questions: a figure is right within the field's
        tolerance, in its unit or none (320, 320户, 三百二十户; 1.5万元 for 15230元 at ±2 %), wrong in another
        unit (320人 for 户). None for another source's question or a text field (judged as usual)."""
        if not question.id.startswith("v.") or question.type is not QuestionType.fillin:
            return None
        key = question.id.split(".")[2]
        f = self.fields.by_key.get(key)
        if f is None or not f.numeric:
            return None
        sheet_value = question.answer_text[: -len(f.unit or "")] if f.unit else question.answer_text
        value = Decimal(sheet_value)
        tolerance = f.tolerance.of(value) if f.tolerance else Decimal(0)
        return figure_matches(typed, value, f.unit or "", tolerance)

    def grade_interview(self, question: InterviewQuestion, answer: str) -> InterviewGrade | None:
        """Grade an answer to one of this source's interview questions: a figure's key point is covered when the
        answer states it (within tolerance, in its unit), a text's as :func:`bot.practice.grading.point_covered` with
        its figures exact. None for another source's question."""
        built = self._built(question.id) if question.id.startswith("v.") else None
        if built is None:
            return None
        targets = built[1]
        covered = [t.point for t in targets if _covered(t, answer)]
        return InterviewGrade(covered, [t.point for t in targets if t.point not in covered],
                              too_long(answer, question.model_answer))

    # --- must-know ids and the card
    def must_know(self, person: Person) -> list[str]:
        """Return the ids of the practice questions on the person's own village their role must know."""
        return [q.id for q in self.questions_for(person)]

    def card(self, sheet: VillageSheet, role: str | None = None) -> str:
        """Return a village's card as phone-sized text: title, import date, fields grouped under short headings
        (lists one item a line), what is not filled, and why it matters. With ``role``, fields that role must know
        are starred unless it must know all of them."""
        shown = [f for f in self.fields.fields if f.key in sheet.values]
        must = {f.key for f in shown if role and role in f.roles}
        star = bool(must) and len(must) < len(shown)
        lines = [f"📋 {sheet.village}村情卡", f"{sheet.town} · {sheet.imported_on()} 导入"]
        if role and must and not star:
            lines.append(f"{Role(role).label}：以下都要熟记，评估组会问。")
        elif star:
            lines.append(f"★ 是{Role(role).label}必须熟记的。")
        group = None
        for f in shown:
            if f.group != group:
                group = f.group
                lines += ["", f"【{group}】"]
            mark = "★" if star and f.key in must else ""
            if f.type is FieldType.list:
                lines.append(f"{mark}{f.label}：")
                lines += [f"· {item}" for item in sheet.items(f)]
            else:
                lines.append(f"{mark}{f.label}：{sheet.shown(f)}")
        missing = [f.label for f in self.fields.fields if f.key not in sheet.values]
        if missing:
            lines += ["", "表中未填：" + "、".join(missing)]
        lines += ["", self.fields.why]
        if must:
            lines += ["发送 /practice 练习本村数字，", "/interview 模拟访谈。"]
        return "\n".join(lines)


def village_must_know(store: Store, person: Person, fields: VillageFields | None = None) -> list[str]:
    """Return the ids of the village practice questions ``person`` must know (for the readiness rule): those of
    their own registered village's sheet for the fields their role must know; ``[]`` when they have no
    registration, no role, or their village no sheet. The ids are those :meth:`VillageFacts.questions_for` serves
    (``v.<village id>.<field>.<f|c|m>``); answers to them are in ``quiz_answers`` like any other.

    Args:
        store: the database.
        person: the person (their own ``town`` and ``village`` are the only ones read).
        fields: the field list (default: :func:`load_fields`).
    """
    return VillageFacts(store, fields).must_know(person)

