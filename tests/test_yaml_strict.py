"""Strict loading: every broken data file is refused with file, line and field named."""

import shutil
import textwrap
from pathlib import Path

import pytest

from bot.kernel.models import KnowledgeFile, QuizFile
from bot.kernel.yamlfile import DataFileError, load_model
from bot.qa import knowledge

ROOT = Path(__file__).resolve().parents[1]

ENTRY = """\
entries:
  - id: x.one
    kind: overview
    title: 标题
    answer: {answer}
    source: {{section: 一、指导思想, quote: 指导思想}}
"""


def errors_for(tmp_path, text, model=KnowledgeFile):
    path = tmp_path / "bad.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        load_model(path, model)
    return [str(e) for e in exc.value.errors]


@pytest.mark.parametrize("written, kind", [("no", "bool"), ("10:30", "int"), ("1.10", "float"),
                                           ("2021-10-15", "date"), ("yes", "bool")])
def test_yaml_1_1_surprises_where_text_is_expected(tmp_path, written, kind):
    errs = errors_for(tmp_path, ENTRY.format(answer=written))
    assert errs == [f"{tmp_path / 'bad.yaml'}:5: entries.0.answer: YAML read `{written}` as {kind}, not text; "
                    f"put it in quotes: \"{written}\""]


def test_quoted_values_are_text(tmp_path):
    path = tmp_path / "ok.yaml"
    path.write_text(ENTRY.format(answer='"10:30"'), encoding="utf-8")
    assert load_model(path, KnowledgeFile).entries[0].answer == "10:30"


def test_duplicate_key_is_refused_with_its_line(tmp_path):
    errs = errors_for(tmp_path, ENTRY.format(answer="第一") + "    answer: 第二\n")
    assert errs == [f"{tmp_path / 'bad.yaml'}:7: entries.0.answer: duplicate key 'answer' "
                    "(an earlier one would be silently replaced)"]


def test_unknown_key_is_refused(tmp_path):
    errs = errors_for(tmp_path, ENTRY.format(answer="答") + "    colour: red\n")
    assert errs == [f"{tmp_path / 'bad.yaml'}:7: entries.0.colour: unknown key 'colour'"]


def test_syntax_error_names_the_line(tmp_path):
    errs = errors_for(tmp_path, "entries:\n  - id: [unclosed\n")
    assert len(errs) == 1 and "bad.yaml:" in errs[0] and "YAML syntax" in errs[0]


def test_quiz_answer_must_be_an_option(tmp_path):
    errs = errors_for(tmp_path, """\
        questions:
          - id: q.x
            type: single
            question: 逾期率要低于多少？
            options: ["0.5%", "1%"]
            answer: "2%"
            explanation: 低于0.5%。
            entry: work.finance.4
        """, QuizFile)
    assert errs == [f"{tmp_path / 'bad.yaml'}:2: questions.0: Value error, the answer '2%' is not among the options"]


def test_fact_must_appear_in_the_answer(tmp_path):
    errs = errors_for(tmp_path, ENTRY.format(answer="低于0.5%") + "    facts: [{kind: percent, text: 0.6%, label: x}]\n")
    assert len(errs) == 1 and "fact '0.6%' does not appear in the answer" in errs[0]


def copy_project(tmp_path):
    """A copy of knowledge/ and quizzes/ to break."""
    shutil.copytree(ROOT / "knowledge", tmp_path / "knowledge")
    shutil.copytree(ROOT / "quizzes", tmp_path / "quizzes")
    folder = tmp_path / "knowledge" / "qionghai-2021"
    # the plan path in assessment.yaml is relative to the project root; point it at the real one
    meta = folder / "assessment.yaml"
    plan = (ROOT / "../shared/source/000_680e0cde7b2954db.txt").resolve()
    meta.write_text(meta.read_text(encoding="utf-8").replace("../shared/source/000_680e0cde7b2954db.txt", str(plan)),
                    encoding="utf-8")
    return tmp_path / "knowledge", tmp_path / "quizzes"


def test_duplicate_ids_across_files_are_refused(tmp_path):
    kroot, qroot = copy_project(tmp_path)
    (kroot / "qionghai-2021" / "99-copy.yaml").write_text(
        (kroot / "qionghai-2021" / "34-work-finance.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        knowledge.load(kroot, qroot)
    dups = [str(e) for e in exc.value.errors if "duplicate id" in str(e)]
    assert dups and all("99-copy.yaml:" in d and "34-work-finance.yaml:" in d for d in dups)


def test_quiz_pointing_at_a_missing_entry_is_refused(tmp_path):
    kroot, qroot = copy_project(tmp_path)
    (qroot / "qionghai-2021" / "zz-extra.yaml").write_text(textwrap.dedent("""\
        questions:
          - id: q.zz.missing
            type: truefalse
            question: 这是一道题。
            answer: 正确
            explanation: 说明。
            entry: no.such.entry
        """), encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        knowledge.load(kroot, qroot)
    assert [str(e) for e in exc.value.errors] == [
        f"{qroot / 'qionghai-2021' / 'zz-extra.yaml'}:2: q.zz.missing.entry: no knowledge entry 'no.such.entry'"]


def test_a_score_that_breaks_the_sum_is_refused(tmp_path):
    kroot, qroot = copy_project(tmp_path)
    path = kroot / "qionghai-2021" / "34-work-finance.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("score: 30", "score: 35", 1), encoding="utf-8")
    with pytest.raises(DataFileError) as exc:
        knowledge.load(kroot, qroot)
    assert any("area.work.score" in str(e) and "indicator scores sum to 435分" in str(e) for e in exc.value.errors)
