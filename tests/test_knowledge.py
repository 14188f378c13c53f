"""The knowledge base and quiz bank: every file loads strictly, and the plan's arithmetic holds."""

from pathlib import Path

import pytest

from bot.kernel.models import CurriculumFile, InterviewFile, KnowledgeFile, QuizFile
from bot.kernel.yamlfile import load_model

ROOT = Path(__file__).resolve().parents[1]
# Entry files of every assessment folder (a folder with assessment.yaml); knowledge/villages/ has its own schema.
KNOWLEDGE_FILES = sorted(p for d in (ROOT / "knowledge").glob("*/assessment.yaml") for p in d.parent.glob("*.yaml")
                         if p.name != "assessment.yaml")
QUIZ_FILES = sorted((ROOT / "quizzes").glob("*/*.yaml"))


@pytest.mark.parametrize("path", KNOWLEDGE_FILES, ids=lambda p: p.name)
def test_every_knowledge_file_loads(path):
    assert load_model(path, KnowledgeFile).entries


@pytest.mark.parametrize("path", QUIZ_FILES, ids=lambda p: p.name)
def test_every_quiz_file_loads(path):
    model = {"roles.yaml": CurriculumFile, "interview.yaml": InterviewFile}.get(path.name, QuizFile)
    assert load_model(path, model)


def test_areas_sum_to_1000_and_indicators_to_their_area(kb):
    areas = kb.areas()
    assert {a.id: a.score for a in areas} == {"area.responsibility": 200, "area.policy": 250,
                                              "area.work": 430, "area.results": 120}
    assert sum(a.score for a in areas) == kb.assessment.total_score == 1000
    for area in areas:
        assert sum(i.score for i in kb.indicators(area.id)) == area.score, area.id
        assert len(kb.indicators(area.id)) == area.indicator_count, area.id


def test_21_indicators_with_the_plans_scores(kb):
    scores = {i.id: i.score for i in kb.indicators()}
    assert len(scores) == 21
    assert scores["work.monitoring"] == 130 and scores["work.consumption"] == 20
    assert scores["resp.city_county"] == 50 and scores["results.recognition"] == 60


def test_sub_item_counts_and_the_known_discrepancy(kb):
    listed = {a.id: sum(len(kb.subitems(i.id)) for i in kb.indicators(a.id)) for a in kb.areas()}
    assert listed == {"area.responsibility": 13, "area.policy": 12, "area.work": 32, "area.results": 4}
    work = kb.by_id["area.work"]
    assert (work.subitems_stated, work.subitems_listed) == (30, 32)
    assert any("area.work" in n and "states 30" in n and "lists 32" in n for n in kb.notes)


def test_every_indicator_has_sub_items_and_quiz_questions(kb):
    drilled = {q.indicator for q in kb.questions}
    for indicator in kb.indicators():
        assert kb.subitems(indicator.id), indicator.id
        assert indicator.id in drilled, indicator.id


def test_quiz_bank_is_big_enough(kb):
    assert len(kb.questions) >= 60
    kinds = {q.type.value for q in kb.questions}
    assert kinds == {"single", "truefalse", "multiple", "fillin"}


def test_key_thresholds_are_in_the_knowledge_base(kb):
    facts = {f.text for e in kb.entries for f in e.facts}
    for must in ["90%", "0.5%", "20%", "4000元", "1000元", "86.6%", "200分", "430分"]:
        assert must in facts, must
    answers = "".join(e.answer for e in kb.entries)
    for must in ["10月28日", "75%以上", "85%以上", "30种大病", "4种慢性病", "琼委乡村振兴〔2021〕2号", "150户", "100%"]:
        assert must in answers, must


def test_answers_are_focused(kb):
    assert all(len(e.answer) <= 600 for e in kb.entries)
    assert all(e.source.section and e.source.quote for e in kb.entries)


def test_glossary_names_the_code_identifiers(kb):
    en = {t.en for t in kb.glossary.terms}
    for identifier in ["monitored_household", "work_team", "household_contact", "village_secretary", "indicator"]:
        assert identifier in en
