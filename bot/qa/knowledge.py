"""Load the knowledge base and the quiz bank from YAML and check the rules that span files.

Layout (one folder per assessment, so another year or province is just more data)::

    knowledge/glossary.yaml           terms: plan word ↔ code identifier
    knowledge/synonyms.yaml           words cadres use → the plan's word
    knowledge/lexicon.yaml            everyday phrases → a concept the plan has (optional; see bot.qa.lexicon)
    knowledge/<assessment>/assessment.yaml
    knowledge/<assessment>/*.yaml     entries
    quizzes/<assessment>/*.yaml       quiz questions
    quizzes/<assessment>/roles.yaml   what each role must know (curricula)
    quizzes/<assessment>/interview.yaml  mock-interview questions with key points
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from bot.kernel.models import (
    Assessment,
    CurriculumFile,
    Entry,
    EntryKind,
    Glossary,
    InterviewFile,
    InterviewQuestion,
    KnowledgeFile,
    QuizFile,
    QuizQuestion,
    RoleCurriculum,
    Source,
    Synonyms,
)
from bot.kernel.roles import Role
from bot.kernel.yamlfile import (
    DataError,
    DataFileError,
    load_model,
    load_model_with_lines,
)
from bot.qa.lexicon import Lexicon, load_lexicon

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_KNOWLEDGE = PROJECT_ROOT / "knowledge"
DEFAULT_QUIZZES = PROJECT_ROOT / "quizzes"


@dataclass
class KnowledgeBase:
    """A loaded, checked assessment.

    Attributes:
        assessment: the folder's ``assessment.yaml``.
        entries: every entry, in file order.
        by_id: entries by id.
        synonyms: cadre word → plan word (applied to questions).
        glossary: the glossary terms.
        questions: quiz questions, in file order.
        curricula: each role's must-know indicators and entries.
        interview: mock-interview questions, in file order.
        notes: known discrepancies in the plan itself (e.g. 30 sub-items stated, 32 listed), for the validator.
        lexicon: everyday phrases → concepts of the plan (applied to questions).
    """

    assessment: Assessment
    entries: list[Entry]
    by_id: dict[str, Entry]
    synonyms: dict[str, str]
    glossary: Glossary
    questions: list[QuizQuestion] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    curricula: dict[Role, RoleCurriculum] = field(default_factory=dict)
    interview: list[InterviewQuestion] = field(default_factory=list)
    lexicon: Lexicon = field(default_factory=Lexicon)

    def areas(self) -> list[Entry]:
        """Return the area entries in file order."""
        return [e for e in self.entries if e.kind is EntryKind.area]

    def indicators(self, area_id: str | None = None) -> list[Entry]:
        """Return indicator entries, all or those of ``area_id``, in file order."""
        return [e for e in self.entries if e.kind is EntryKind.indicator and (area_id is None or e.area == area_id)]

    def subitems(self, indicator_id: str) -> list[Entry]:
        """Return the sub-item entries of ``indicator_id`` in file order."""
        return [e for e in self.entries if e.kind is EntryKind.subitem and e.indicator == indicator_id]

    def indicator_of(self, entry_id: str) -> Entry | None:
        """Return the indicator an entry belongs to (itself for an indicator), or None."""
        entry = self.by_id.get(entry_id)
        if entry is None:
            return None
        if entry.kind is EntryKind.indicator:
            return entry
        if entry.kind is EntryKind.subitem and entry.indicator:
            return self.by_id.get(entry.indicator)
        return None


def assessment_dirs(knowledge_root: Path) -> list[Path]:
    """Return the assessment folders (those holding ``assessment.yaml``) under ``knowledge_root``, sorted."""
    return sorted(p.parent for p in knowledge_root.glob("*/assessment.yaml"))


def load(knowledge_root: Path = DEFAULT_KNOWLEDGE, quiz_root: Path | None = DEFAULT_QUIZZES,
         assessment: str | None = None) -> KnowledgeBase:
    """Load and check one assessment's knowledge and quizzes.

    Args:
        knowledge_root: the ``knowledge/`` folder.
        quiz_root: the ``quizzes/`` folder, or None to load no quizzes.
        assessment: the folder name under ``knowledge_root``; None picks the only one (or the first, sorted).
    Returns:
        the checked :class:`KnowledgeBase`.
    Raises:
        DataFileError: listing every problem in every file (file, line, field, message).
    """
    errors: list[DataError] = []
    dirs = assessment_dirs(knowledge_root)
    if assessment is not None:
        dirs = [d for d in dirs if d.name == assessment]
    if not dirs:
        raise DataFileError([DataError(str(knowledge_root), 0, "", "no <assessment>/assessment.yaml found")])
    folder = dirs[0]

    def attempt(fn, *args):
        try:
            return fn(*args)
        except DataFileError as exc:
            errors.extend(exc.errors)
            return None

    glossary = attempt(load_model, knowledge_root / "glossary.yaml", Glossary, _rel(knowledge_root / "glossary.yaml"))
    synonyms = attempt(load_model, knowledge_root / "synonyms.yaml", Synonyms, _rel(knowledge_root / "synonyms.yaml"))
    meta = attempt(load_model, folder / "assessment.yaml", Assessment, _rel(folder / "assessment.yaml"))

    entries: list[Entry] = []
    where: dict[str, tuple[str, int]] = {}
    for path in sorted(folder.glob("*.yaml")):
        if path.name == "assessment.yaml":
            continue
        loaded = attempt(load_model_with_lines, path, KnowledgeFile, _rel(path))
        if loaded is None:
            continue
        kfile, lines = loaded
        for i, entry in enumerate(kfile.entries):
            line = lines.get(("entries", i, "id"), 0)
            if entry.id in where:
                first = where[entry.id]
                errors.append(DataError(_rel(path), line, f"entries.{i}.id",
                                        f"duplicate id '{entry.id}' (first at {first[0]}:{first[1]})"))
                continue
            where[entry.id] = (_rel(path), line)
            entries.append(entry)

    questions: list[QuizQuestion] = []
    qwhere: dict[str, tuple[str, int]] = {}
    curricula: dict[Role, RoleCurriculum] = {}
    interview: list[InterviewQuestion] = []
    special = {"roles.yaml", "interview.yaml"}
    if quiz_root is not None:
        qfolder = quiz_root / folder.name
        if (qfolder / "roles.yaml").is_file():
            loaded = attempt(load_model_with_lines, qfolder / "roles.yaml", CurriculumFile, _rel(qfolder / "roles.yaml"))
            if loaded is not None:
                for i, cur in enumerate(loaded[0].roles):
                    line = loaded[1].get(("roles", i, "role"), 0)
                    if cur.role in curricula:
                        errors.append(DataError(_rel(qfolder / "roles.yaml"), line, f"roles.{i}.role",
                                                f"role '{cur.role.value}' has two curricula"))
                    curricula[cur.role] = cur
                    where[f"curriculum:{cur.role.value}"] = (_rel(qfolder / "roles.yaml"), line)
        if (qfolder / "interview.yaml").is_file():
            loaded = attempt(load_model_with_lines, qfolder / "interview.yaml", InterviewFile,
                             _rel(qfolder / "interview.yaml"))
            if loaded is not None:
                for i, iq in enumerate(loaded[0].interview):
                    line = loaded[1].get(("interview", i, "id"), 0)
                    if iq.id in qwhere:
                        first = qwhere[iq.id]
                        errors.append(DataError(_rel(qfolder / "interview.yaml"), line, f"interview.{i}.id",
                                                f"duplicate id '{iq.id}' (first at {first[0]}:{first[1]})"))
                        continue
                    qwhere[iq.id] = (_rel(qfolder / "interview.yaml"), line)
                    interview.append(iq)
        for path in sorted(p for p in qfolder.glob("*.yaml") if p.name not in special):
            loaded = attempt(load_model_with_lines, path, QuizFile, _rel(path))
            if loaded is None:
                continue
            qfile, lines = loaded
            for i, q in enumerate(qfile.questions):
                line = lines.get(("questions", i, "id"), 0)
                if q.id in qwhere:
                    first = qwhere[q.id]
                    errors.append(DataError(_rel(path), line, f"questions.{i}.id",
                                            f"duplicate id '{q.id}' (first at {first[0]}:{first[1]})"))
                    continue
                qwhere[q.id] = (_rel(path), line)
                questions.append(q)

    by_id = {e.id: e for e in entries}
    notes: list[str] = []
    lexicon_path = knowledge_root / "lexicon.yaml"
    lexicon, lexicon_errors = load_lexicon(lexicon_path, _rel(lexicon_path),
                                           [t for e in entries for t in (e.title, *e.aliases, e.answer)])
    errors.extend(lexicon_errors)
    if meta is not None and entries:
        errors.extend(_check_structure(meta, entries, by_id, where, notes))
        sources = [(e.id, e.source) for e in entries]
        sources += [(f"curriculum:{r.value}", c.source) for r, c in curricula.items()]
        errors.extend(_check_quotes(meta, sources, where, notes))
    errors.extend(_check_questions([*questions, *interview], by_id, qwhere))
    errors.extend(_check_curricula(curricula, by_id, where))
    if errors:
        raise DataFileError(errors)
    assert meta is not None and glossary is not None and synonyms is not None
    return KnowledgeBase(meta, entries, by_id, dict(synonyms.synonyms), glossary, questions, notes, curricula,
                         interview, lexicon)


def _rel(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def _check_structure(meta: Assessment, entries: list[Entry], by_id: dict[str, Entry],
                     where: dict[str, tuple[str, int]], notes: list[str]) -> list[DataError]:
    """Check references and arithmetic: indicator scores sum to their area, areas to the total (分)."""
    errors: list[DataError] = []

    def err(entry: Entry, fld: str, msg: str) -> None:
        file, line = where[entry.id]
        errors.append(DataError(file, line, f"{entry.id}.{fld}", msg))

    indicators_by_area: dict[str, list[Entry]] = defaultdict(list)
    subitems_by_indicator: dict[str, list[Entry]] = defaultdict(list)
    for e in entries:
        if e.kind is EntryKind.indicator:
            area = by_id.get(e.area or "")
            if area is None or area.kind is not EntryKind.area:
                err(e, "area", f"'{e.area}' is not an area entry")
            else:
                indicators_by_area[area.id].append(e)
        elif e.kind is EntryKind.subitem:
            ind = by_id.get(e.indicator or "")
            if ind is None or ind.kind is not EntryKind.indicator:
                err(e, "indicator", f"'{e.indicator}' is not an indicator entry")
            else:
                subitems_by_indicator[ind.id].append(e)
        elif e.area or e.indicator:
            err(e, "area" if e.area else "indicator", "only indicators and sub-items name an area/indicator")

    areas = [e for e in entries if e.kind is EntryKind.area]
    total = sum(a.score or 0 for a in areas)
    if areas and total != meta.total_score:
        a = areas[0]
        err(a, "score", f"area scores sum to {total}分, assessment.yaml says {meta.total_score}分")
    for a in areas:
        inds = indicators_by_area[a.id]
        s = sum(i.score or 0 for i in inds)
        if s != a.score:
            err(a, "score", f"indicator scores sum to {s}分, the area says {a.score}分")
        if len(inds) != a.indicator_count:
            err(a, "indicator_count", f"{len(inds)} indicator entries, the area says {a.indicator_count}")
        listed = sum(len(subitems_by_indicator[i.id]) for i in inds)
        if listed != a.subitems_listed:
            err(a, "subitems_listed", f"{listed} sub-item entries, the area says {a.subitems_listed} are listed")
        if a.subitems_stated != a.subitems_listed:
            notes.append(f"{a.id} ({a.title}): the plan states {a.subitems_stated} sub-items "
                         f"but lists {a.subitems_listed}; both are recorded")
    return errors


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _check_quotes(meta: Assessment, sources: list[tuple[str, Source]], where: dict[str, tuple[str, int]],
                  notes: list[str]) -> list[DataError]:
    """Check every ``source.quote`` (of entries and curricula, as (id, source)) is verbatim in the plan, whitespace
    ignored; note it if the plan is absent."""
    plan = (PROJECT_ROOT / meta.plan).resolve()
    if not plan.is_file():
        notes.append(f"plan text {meta.plan} not found: source quotes were not checked")
        return []
    text = _squash(plan.read_text(encoding="utf-8"))
    errors = []
    for key, source in sources:
        if _squash(source.quote) not in text:
            file, line = where[key]
            errors.append(DataError(file, line, f"{key}.source.quote", f"not found in the plan: {source.quote}"))
    return errors


def _check_questions(questions: list[QuizQuestion | InterviewQuestion], by_id: dict[str, Entry],
                     where: dict[str, tuple[str, int]]) -> list[DataError]:
    """Check each quiz or interview question points at an existing entry and, if given, an indicator entry."""
    errors = []
    for q in questions:
        file, line = where[q.id]
        if q.entry not in by_id:
            errors.append(DataError(file, line, f"{q.id}.entry", f"no knowledge entry '{q.entry}'"))
        if q.indicator is not None:
            ind = by_id.get(q.indicator)
            if ind is None or ind.kind is not EntryKind.indicator:
                errors.append(DataError(file, line, f"{q.id}.indicator", f"'{q.indicator}' is not an indicator entry"))
    return errors


def _check_curricula(curricula: dict[Role, RoleCurriculum], by_id: dict[str, Entry],
                     where: dict[str, tuple[str, int]]) -> list[DataError]:
    """Check every curriculum names existing indicator entries and entries, and quotes the plan."""
    errors = []
    for role, cur in curricula.items():
        file, line = where[f"curriculum:{role.value}"]
        for ind in cur.indicators:
            e = by_id.get(ind)
            if e is None or e.kind is not EntryKind.indicator:
                errors.append(DataError(file, line, f"{role.value}.indicators", f"'{ind}' is not an indicator entry"))
        for eid in cur.entries:
            if eid not in by_id:
                errors.append(DataError(file, line, f"{role.value}.entries", f"no knowledge entry '{eid}'"))
    return errors
