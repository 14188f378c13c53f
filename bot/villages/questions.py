"""Practice and interview questions made from a village sheet, and how interview answers are judged."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from bot.kernel import figures
from bot.kernel.models import (
    InterviewQuestion,
    KeyPoint,
    QuestionType,
    QuizQuestion,
)
from bot.kernel.roles import Role
from bot.practice.grading import point_covered

from .cells import _decimal_text, close_numbers, figure_matches
from .fields import FieldType, VillageField, VillageFields, compact
from .sheet import VillageSheet

ENTRY = "village.card"


# ------------------------------------------------------------------------------------------------- questions
@dataclass(frozen=True)
class _Target:
    """What one interview key point asks for: a figure (``value`` in ``unit`` within ``tolerance``) or a text."""

    point: KeyPoint
    value: Decimal | None = None
    unit: str = ""
    tolerance: Decimal = Decimal(0)
    text: str | None = None


def _format(template: str, sheet: VillageSheet, f: VillageField | None = None) -> str:
    return template.format(village=sheet.village, town=sheet.town, label=f.label if f else "",
                           unit=(f.unit or "") if f else "")


def _qid(sheet: VillageSheet, key: str, kind: str) -> str:
    return f"v.{sheet.id}.{key}.{kind}"


def _explanation(sheet: VillageSheet, f: VillageField) -> str:
    note = f"（填空答案相差 {f.tolerance} 以内算对）" if f.tolerance else ""
    return f"{sheet.village}村情表：{f.label} {sheet.shown(f)}。{note}"


def field_questions(sheet: VillageSheet, f: VillageField) -> list[QuizQuestion]:
    """Return the practice questions of one filled field of a sheet, by its templates: fill-in (``.f``), choice
    among close numbers (``.c``), multiple choice among the items and the field's pool (``.m``)."""
    if f.key not in sheet.values:
        return []
    out = []
    roles = list(f.roles)
    # One fact, several questions (fill-in, choice): a practice round asks it once.
    common = {"explanation": _explanation(sheet, f), "entry": ENTRY, "roles": roles, "generated": True,
              "fact": f"{sheet.id}:{f.key}"}
    if f.ask.fillin:
        out.append(QuizQuestion(id=_qid(sheet, f.key, "f"), type=QuestionType.fillin,
                                question=_format(f.ask.fillin, sheet, f), answer=sheet.shown(f), **common))
    if f.ask.choice:
        qid = _qid(sheet, f.key, "c")
        value = Decimal(sheet.values[f.key])
        options = sorted([value, *close_numbers(value, f, qid)])
        out.append(QuizQuestion(id=qid, type=QuestionType.single, question=_format(f.ask.choice, sheet, f),
                                options=[f"{_decimal_text(o)}{f.unit}" for o in options],
                                answer=sheet.shown(f), **common))
    if f.ask.multiple:
        qid = _qid(sheet, f.key, "m")
        items = sheet.items(f)[:4]
        own = [compact(i) for i in sheet.items(f)]
        pool = [p for p in f.pool if not any(compact(p) in i or i in compact(p) for i in own)]
        rng = random.Random(qid)
        wrong = rng.sample(pool, min(len(pool), max(2, 6 - len(items)) if len(items) > 1 else 3))
        if wrong:
            kind = QuestionType.multiple if len(items) > 1 else QuestionType.single
            out.append(QuizQuestion(id=qid, type=kind, question=_format(f.ask.multiple, sheet, f),
                                    options=sorted(items + wrong), answer=items if len(items) > 1 else items[0],
                                    **common))
    return out


def _targets(sheet: VillageSheet, f: VillageField, labelled: bool) -> list[_Target]:
    """The key points of one filled field: its figure, its text, or one per item (``labelled``: shown as
    ``工作队员：符文强`` in a question asking several fields)."""
    if f.key not in sheet.values:
        return []
    if f.numeric:
        value = Decimal(sheet.values[f.key])
        return [_Target(KeyPoint(point=f"{f.label} {sheet.shown(f)}"), value=value, unit=f.unit or "",
                        tolerance=f.tolerance.of(value) if f.tolerance else Decimal(0))]
    if f.type is FieldType.text:
        return [_Target(KeyPoint(point=f"{f.label}：{sheet.values[f.key]}"), text=sheet.values[f.key])]
    return [_Target(KeyPoint(point=f"{f.label}：{item}" if labelled else item), text=item) for item in sheet.items(f)]


def interview_questions(sheet: VillageSheet, fields: VillageFields) -> list[tuple[InterviewQuestion, list[_Target]]]:
    """Return the sheet's mock-interview questions with what each key point asks for: one per field with an
    ``ask.interview`` template (``v.<id>.<field>.i``; a list's key points are its items) and one per grouped
    interview (``v.<id>.<interview>.i``; a figure's key point is ``label value unit``), over the filled fields."""
    by_key = fields.by_key
    out = []
    asks = [(f.key, f.ask.interview, [f], set(f.roles)) for f in fields.fields if f.ask.interview]
    asks += [(iv.key, iv.question, [by_key[k] for k in iv.fields], fields.interview_roles(iv))
             for iv in fields.interviews]
    for key, template, members, roles in asks:
        targets = [t for f in members for t in _targets(sheet, f, labelled=len(members) > 1)]
        if not targets:
            continue
        filled = [f for f in members if f.key in sheet.values]
        model = "；".join(f"{f.label}：{sheet.shown(f)}" for f in filled)
        question = InterviewQuestion(id=_qid(sheet, key, "i"), roles=sorted(roles, key=list(Role).index),
                                     question=_format(template, sheet, members[0] if len(members) == 1 else None),
                                     key_points=[t.point for t in targets], model_answer=f"{sheet.village}：{model}。",
                                     entry=ENTRY)
        out.append((question, targets))
    return out


def _covered(target: _Target, answer: str) -> bool:
    if target.value is not None:
        return figure_matches(answer, target.value, target.unit, target.tolerance, single=False)
    assert target.text is not None
    # By wording or sound (grading.point_covered), but the figures a text holds must be said exactly: a sound match
    # alone would take 3.5万元 for 3.2万元.
    wanted = {(f.value, f.unit) for f in figures.figures(target.text, dates=True)}
    said = {(f.value, f.unit) for f in figures.figures(answer, dates=True)}
    return point_covered(KeyPoint(point=target.text), answer) and wanted <= said


