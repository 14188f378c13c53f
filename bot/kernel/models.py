"""Strict schemas for the knowledge base and the quiz bank.

Every model forbids unknown keys (``extra="forbid"``) and text and number fields refuse type coercion, so a
curator's typo or a YAML 1.1 surprise (``answer: no`` read as ``False``) is an error, not silent data.
Cross-entry rules (unique ids, references, score sums) live in :mod:`bot.qa.knowledge`.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    StringConstraints,
    model_validator,
)
from pydantic import Strict as StrictType

from bot.kernel.roles import Role

#: Longest answer an entry may hold, in characters. The grader rejects answers over 800; entries are meant
#: to be one sub-item, one threshold or one task, never a whole section.
MAX_ANSWER_CHARS = 600

EntryId = Annotated[str, StrictType(), StringConstraints(pattern=r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$", max_length=48)]
NonEmpty = Annotated[str, StrictType(), StringConstraints(min_length=1, strip_whitespace=True)]


class Strict(BaseModel):
    """Base for every data model: unknown keys and type coercion are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EntryKind(str, Enum):
    """What an entry describes; decides which structured fields it must have."""

    overview = "overview"          # the plan as a whole: dates, document number, the four areas
    area = "area"                  # one of the four assessment areas (责任落实 …)
    indicator = "indicator"        # one of the 21 indicators (…方面, with its 分值)
    subitem = "subitem"            # one numbered sub-item (小项) of an indicator
    sampling = "sampling"          # 抽样类别和数量
    method = "method"              # 评估方法
    interview = "interview"        # 座谈访谈: who is interviewed, how many
    preparation = "preparation"    # 迎考准备工作 at city, town/village or department level
    principle = "principle"        # 指导思想, 四个提升, 两提高一增强, 工作要求


class FactKind(str, Enum):
    """Kind of a number or date stated in an answer."""

    percent = "percent"  # e.g. 0.5%
    money = "money"      # 元
    score = "score"      # 分
    date = "date"        # e.g. 10月28日, 10月底
    count = "count"      # 个 / 户 / 人 / 种 / 项 / 次 / 场


class Fact(Strict):
    """A threshold, score, date or count stated in an entry's answer.

    ``text`` must appear verbatim in the answer (checked), so the quiz generator and the coverage report can
    rely on it. Example: ``{kind: percent, text: "0.5%", label: 脱贫人口小额信贷逾期率上限}``.
    """

    kind: FactKind
    text: NonEmpty
    label: NonEmpty


class Source(Strict):
    """Where in the plan an entry comes from.

    ``section`` is the path of headings (e.g. ``三、迎接省后评估具体要求 › 工作落实方面 › 金融帮扶方面（4）``);
    ``quote`` is a short verbatim excerpt of the plan, checked against the plan text by the validator.
    """

    section: NonEmpty
    quote: NonEmpty


class Entry(Strict):
    """One knowledge-base entry: one sub-item, one threshold or one task of the plan.

    Structured fields by kind: ``area`` needs ``score`` (分), ``indicator_count``, ``subitems_stated`` and
    ``subitems_listed``; ``indicator`` needs ``area`` and ``score`` (分); ``subitem`` needs ``indicator``.
    """

    id: EntryId
    kind: EntryKind
    title: NonEmpty
    answer: Annotated[str, StrictType(), StringConstraints(min_length=1, max_length=MAX_ANSWER_CHARS, strip_whitespace=True)]
    aliases: list[NonEmpty] = Field(default_factory=list)
    source: Source
    roles: list[Role] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    area: EntryId | None = None
    indicator: EntryId | None = None
    score: StrictInt | None = Field(default=None, ge=0, le=1000)
    indicator_count: StrictInt | None = Field(default=None, ge=1)
    subitems_stated: StrictInt | None = Field(default=None, ge=1)
    subitems_listed: StrictInt | None = Field(default=None, ge=1)
    warning: NonEmpty | None = None  # the plan's 重点关注 / 薄弱项 / 最容易被扣分 note, verbatim

    @model_validator(mode="after")
    def _kind_fields(self) -> "Entry":
        need: dict[EntryKind, tuple[str, ...]] = {
            EntryKind.area: ("score", "indicator_count", "subitems_stated", "subitems_listed"),
            EntryKind.indicator: ("area", "score"),
            EntryKind.subitem: ("indicator",),
        }
        missing = [f for f in need.get(self.kind, ()) if getattr(self, f) is None]
        if missing:
            raise ValueError(f"an entry of kind '{self.kind.value}' needs {', '.join(missing)}")
        flat = _squash(self.answer)
        for fact in self.facts:
            if _squash(fact.text) not in flat:
                raise ValueError(f"fact '{fact.text}' does not appear in the answer")
        return self


class KnowledgeFile(Strict):
    """A YAML file under ``knowledge/<assessment>/``: a list of entries."""

    entries: list[Entry] = Field(min_length=1)


class Assessment(Strict):
    """``knowledge/<assessment>/assessment.yaml``: what the folder is about.

    ``plan`` is the path of the plan's text relative to the project root (used to check source quotes);
    ``total_score`` is in 分.
    """

    id: EntryId
    title: NonEmpty
    document: NonEmpty        # the document the plan implements, e.g. 琼委乡村振兴〔2021〕2号
    plan: NonEmpty
    total_score: StrictInt = Field(ge=1)


class GlossaryTerm(Strict):
    """One term: the plan's Chinese word, the English identifier code uses, and a one-line meaning."""

    zh: NonEmpty
    en: Annotated[str, StrictType(), StringConstraints(pattern=r"^[a-z][a-z0-9_]*$")]
    meaning: NonEmpty


class Glossary(Strict):
    """``knowledge/glossary.yaml``."""

    terms: list[GlossaryTerm] = Field(min_length=1)


class Synonyms(Strict):
    """``knowledge/synonyms.yaml``: words cadres use → the plan's word, applied to questions before matching.

    Example: ``村支书: 村党组书记``. Keys and values are plain text; a key may not be empty.
    """

    synonyms: dict[NonEmpty, NonEmpty] = Field(min_length=1)


class QuestionType(str, Enum):
    """Quiz question types."""

    single = "single"        # one right option among several
    multiple = "multiple"    # several right options (e.g. the four chronic diseases)
    truefalse = "truefalse"  # 正确 / 错误
    fillin = "fillin"        # typed number or date, compared after normalisation (0.5% = 百分之零点五)


TRUE_FALSE_OPTIONS = ("正确", "错误")


class QuizQuestion(Strict):
    """One quiz question.

    ``answer`` is the text of the right option and must be one of ``options`` (for ``truefalse`` the options
    are ``正确`` / ``错误`` and may be left out); for ``multiple`` it is the list of right options (two or more);
    for ``fillin`` it is the expected text (e.g. ``0.5%``, ``10月28日``) and ``accept`` may add other accepted
    forms. ``indicator`` names the indicator entry it drills and ``entry`` the knowledge entry that holds the
    fact; ``explanation`` is shown after the answer. ``generated`` marks questions made from knowledge facts;
    ``fact`` names the fact a generated question asks (``责任落实方面指标数=6项指标``), so a practice round asks
    each fact once.
    """

    id: EntryId
    type: QuestionType
    question: NonEmpty
    options: list[NonEmpty] = Field(default_factory=list)
    answer: NonEmpty | list[NonEmpty]
    accept: list[NonEmpty] = Field(default_factory=list)
    explanation: NonEmpty
    indicator: EntryId | None = None
    entry: EntryId
    roles: list[Role] = Field(default_factory=list)
    generated: bool = False
    fact: str | None = None

    @model_validator(mode="after")
    def _answer_in_options(self) -> "QuizQuestion":
        options = self.options or (list(TRUE_FALSE_OPTIONS) if self.type is QuestionType.truefalse else [])
        if self.type is QuestionType.truefalse and set(options) != set(TRUE_FALSE_OPTIONS):
            raise ValueError("a truefalse question's options are 正确 / 错误")
        if self.type in (QuestionType.single, QuestionType.multiple) and len(options) < 2:
            raise ValueError(f"a {self.type.value} question needs at least two options")
        if len(set(options)) != len(options):
            raise ValueError("options repeat")
        if self.type is QuestionType.fillin:
            if options or not isinstance(self.answer, str):
                raise ValueError("a fillin question has no options and one answer text")
        elif self.type is QuestionType.multiple:
            if not isinstance(self.answer, list) or len(self.answer) < 2 or len(set(self.answer)) != len(self.answer):
                raise ValueError("a multiple question's answer is a list of two or more different options")
            missing = [a for a in self.answer if a not in options]
            if missing:
                raise ValueError(f"the answer {missing} is not among the options")
        elif not isinstance(self.answer, str) or self.answer not in options:
            raise ValueError(f"the answer '{self.answer}' is not among the options")
        if self.accept and self.type is not QuestionType.fillin:
            raise ValueError("only fillin questions take 'accept'")
        return self

    @property
    def choices(self) -> list[str]:
        """Return the options shown to the person (``正确``/``错误`` for true/false, none for fill-in)."""
        return self.options or (list(TRUE_FALSE_OPTIONS) if self.type is QuestionType.truefalse else [])

    @property
    def answer_text(self) -> str:
        """Return the right answer as one line of text (multiple answers joined by ``、``)."""
        return "、".join(self.answer) if isinstance(self.answer, list) else self.answer


class QuizFile(Strict):
    """A YAML file under ``quizzes/<assessment>/``: a list of questions."""

    questions: list[QuizQuestion] = Field(min_length=1)


class KeyPoint(Strict):
    """One point a good interview answer makes: ``point`` as the plan says it, ``accept`` other wordings that
    count (numbers are compared normalised: 百分之零点五 = 0.5%)."""

    point: NonEmpty
    accept: list[NonEmpty] = Field(default_factory=list)


class InterviewQuestion(Strict):
    """An assessor's open question in a mock interview, graded by the key points an answer covers."""

    id: EntryId
    roles: list[Role] = Field(min_length=1)
    question: NonEmpty
    key_points: list[KeyPoint] = Field(min_length=1)
    model_answer: NonEmpty
    entry: EntryId
    indicator: EntryId | None = None


class InterviewFile(Strict):
    """``quizzes/<assessment>/interview.yaml``."""

    interview: list[InterviewQuestion] = Field(min_length=1)


class RoleCurriculum(Strict):
    """What one role must know, and why (citing the plan)."""

    role: Role
    why: NonEmpty
    source: Source
    indicators: list[EntryId] = Field(default_factory=list)
    entries: list[EntryId] = Field(default_factory=list)


class CurriculumFile(Strict):
    """``quizzes/<assessment>/roles.yaml``: one curriculum per role."""

    roles: list[RoleCurriculum] = Field(min_length=1)


def _squash(text: str) -> str:
    """Return ``text`` with all whitespace removed (for containment checks)."""
    return re.sub(r"\s+", "", text)
