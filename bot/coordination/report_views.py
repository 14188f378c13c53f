"""Views of a coordinator's report: plain text for the chat, CSV, and an .xlsx workbook (one sheet per view).

Everything here renders a :class:`bot.coordination.reports.Report` already built within one scope; nothing here
reads people from the database beyond the ids the report holds.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable

from bot.coordination.readiness import ReadinessRule
from bot.coordination.reports import (
    LOCAL_TZ,
    MAX_TEXT_PEOPLE,
    PersonStatus,
    Report,
    weak_indicators,
)
from bot.kernel.store import Store
from bot.qa.knowledge import KnowledgeBase


def _local(iso: str | None) -> str:
    if not iso:
        return "从未"
    return datetime.fromisoformat(iso).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")


@dataclass
class Tally:
    """Counts for one group: on roster, started, practised in the last N days, ready, not ready, unreachable."""

    total: int = 0
    on_roster: int = 0
    started: int = 0
    unverified: int = 0
    practised: int = 0
    ready: int = 0
    not_ready: int = 0
    unreachable: int = 0

    def add(self, p: PersonStatus) -> None:
        """Count one person in."""
        self.total += 1
        self.on_roster += p.on_roster
        self.started += p.started
        self.unverified += not p.on_roster
        self.practised += p.practised_recently
        self.ready += p.verdict.ready
        self.not_ready += not p.verdict.ready
        self.unreachable += p.unreachable

    def line(self, days: int) -> str:
        """The counts as one Chinese line."""
        extra = f"（另有未核实 {self.unverified} 人）" if self.unverified else ""
        unreachable = f"，无法联系 {self.unreachable}" if self.unreachable else ""
        return (f"名册 {self.on_roster} 人{extra}，已开始 {self.started}，近{days}天练习 {self.practised}，"
                f"合格 {self.ready}，未合格 {self.not_ready}{unreachable}")


SUMMARY_COLUMNS = ["镇", "村/单位", "角色", "名册人数", "未核实人数", "已开始", "近期练习", "合格", "未合格", "无法联系"]


def summary_rows(report: Report) -> list[list[Any]]:
    """Rows of the summary view: one per town, village and role, with a total line per town (村 = 合计) and
    village (角色 = 合计), in order."""
    tree: dict[str, dict[str, dict[str, Tally]]] = defaultdict(lambda: defaultdict(lambda: defaultdict(Tally)))
    town_t: dict[str, Tally] = defaultdict(Tally)
    village_t: dict[tuple[str, str], Tally] = defaultdict(Tally)
    for p in report.people:
        tree[p.town][p.village][p.role_label].add(p)
        town_t[p.town].add(p)
        village_t[(p.town, p.village)].add(p)
    rows = []

    def row(town: str, village: str, role: str, t: Tally) -> list[Any]:
        return [town, village, role, t.on_roster, t.unverified, t.started, t.practised, t.ready, t.not_ready,
                t.unreachable]

    for town in sorted(tree):
        rows.append(row(town, "合计", "", town_t[town]))
        for village in sorted(tree[town]):
            rows.append(row(town, village, "合计", village_t[(town, village)]))
            for role in sorted(tree[town][village]):
                rows.append(row(town, village, role, tree[town][village][role]))
    return rows


def render_report_text(report: Report) -> str:
    """The report as text: header with countdown and rule, then town → village → role counts."""
    days = report.rule.practised_days
    total = Tally()
    for p in report.people:
        total.add(p)
    lines = [f"备考情况 · {report.scope.label} · {report.today.isoformat()}", report.countdown(),
             f"合计：{total.line(days)}", report.rule.describe(), ""]
    if not report.people:
        lines.append("本范围内还没有名册人员，也没有人登记。")
    for town_row in summary_rows(report):
        town, village, role, *_ = town_row
        t = Tally(on_roster=town_row[3], unverified=town_row[4], started=town_row[5], practised=town_row[6],
                  ready=town_row[7], not_ready=town_row[8], unreachable=town_row[9])
        if village == "合计":
            lines.append(f"【{town}】{t.line(days)}")
        elif role == "合计":
            lines.append(f"  ▸ {village}：{t.line(days)}")
        else:
            lines.append(f"      · {role}：{t.line(days)}")
    return "\n".join(lines).rstrip()


PEOPLE_COLUMNS = ["镇", "村/单位", "姓名", "角色", "状态", "已核实", "本角色已答", "答对", "本角色题数", "近期练习",
                  "最近活动", "无法联系", "原因"]


def people_rows(report: Report, people: list[PersonStatus] | None = None) -> list[list[Any]]:
    """Rows of the people view (everyone in the scope unless ``people`` is given)."""
    return [[p.town, p.village, p.name, p.role_label, p.status_label, "是" if p.verified else "否", p.answered,
             p.right, p.role_total, "是" if p.practised_recently else "否", _local(p.last_activity_at),
             "是" if p.unreachable else "否", "；".join(p.verdict.reasons) or "全部达标"]
            for p in (report.people if people is None else people)]


UNPREPARED_COLUMNS = ["镇", "村/单位", "姓名", "角色", "状态", "最近活动", "薄弱指标", "原因"]


def unprepared_rows(report: Report, store: Store, kb: KnowledgeBase, limit: int | None = None) -> list[list[Any]]:
    """Rows of the unprepared view, least ready first, with each person's three weakest indicators."""
    people = report.unprepared()[:limit] if limit else report.unprepared()
    weak = weak_indicators(store, kb, [p.person_id for p in people if p.person_id is not None])
    rows = []
    for p in people:
        w = weak.get(p.person_id, []) if p.person_id is not None else []
        weak_text = "、".join(f"{t}（{r}/{n}）" for t, r, n in w[:3]) or ("未练习" if not p.answered else "—")
        rows.append([p.town, p.village, p.name, p.role_label, p.status_label, _local(p.last_activity_at),
                     weak_text, "；".join(p.verdict.reasons)])
    return rows


def render_unprepared_text(report: Report, store: Store, kb: KnowledgeBase, limit: int = MAX_TEXT_PEOPLE) -> str:
    """The unprepared list as text: least ready first, at most ``limit`` people, then how many more."""
    everyone = report.unprepared()
    lines = [f"未准备好的人员 · {report.scope.label} · {report.countdown()}",
             f"共 {len(everyone)} 人未合格（最不熟悉的在前）。", ""]
    for town, village, name, role, status, last, weak, reasons in unprepared_rows(report, store, kb, limit):
        lines.append(f"• {name}｜{role}｜{town} {village}｜{status}｜最近活动：{last}")
        if weak not in ("—",):
            lines.append(f"  薄弱指标：{weak}")
        lines.append(f"  原因：{reasons}")
    if len(everyone) > limit:
        lines.append(f"\n……另有 {len(everyone) - limit} 人，完整名单请用 /export 导出表格。")
    if not everyone:
        lines.append("本范围内的人员全部合格。")
    return "\n".join(lines).rstrip()


def render_person_text(report_people: list[PersonStatus], store: Store, kb: KnowledgeBase, rule: ReadinessRule) -> str:
    """One or more people's records (same name) with every check of their verdict."""
    weak = weak_indicators(store, kb, [p.person_id for p in report_people if p.person_id is not None])
    blocks = []
    for p in report_people:
        lines = [f"{p.name}｜{p.role_label}｜{p.town} {p.village}",
                 f"状态：{p.status_label}" + ("｜无法联系（已屏蔽机器人）" if p.unreachable else ""),
                 f"名册：{'是' if p.on_roster else '否（自行登记，未核实）'}；"
                 f"绑定账号：{'是' if p.person_id is not None else '否'}",
                 f"本角色题目：答过 {p.answered}/{p.role_total}，最近一次答对 {p.right}",
                 f"最近练习：{_local(p.last_answer_at)}；最近活动：{_local(p.last_activity_at)}",
                 "判定依据："]
        lines += [f"  {'✔' if c.ok else ('—' if c.ok is None else '✘')} {c.text}" for c in p.verdict.checks]
        w = weak.get(p.person_id, []) if p.person_id is not None else []
        if w:
            lines.append("薄弱指标：" + "、".join(f"{t}（{r}/{n}）" for t, r, n in w[:5]))
        blocks.append("\n".join(lines))
    return ("\n\n".join(blocks) + "\n\n" + rule.describe()).strip()


UNANSWERED_COLUMNS = ["次数", "问题", "最高分", "最近一次", "最接近的条目"]


def unanswered_rows(report: Report) -> list[list[Any]]:
    """Rows of the unanswered-questions view."""
    return [[r["count"], r["text"], None if r["max_score"] is None else round(r["max_score"], 2),
             _local(r["last_asked"]), r["best_id"] or ""] for r in report.unanswered]


def render_unanswered_text(report: Report, limit: int = MAX_TEXT_PEOPLE) -> str:
    """The scope's unanswered questions as text, most frequent first."""
    lines = [f"机器人没答好的问题 · {report.scope.label}（按次数排序）"]
    for count, text, score, last, best in unanswered_rows(report)[:limit]:
        lines.append(f"• {count} 次｜{text[:80]}｜最近 {last}" + (f"｜最接近：{best}" if best else ""))
    if not report.unanswered:
        lines.append("没有。")
    elif len(report.unanswered) > limit:
        lines.append(f"……另有 {len(report.unanswered) - limit} 条，完整列表请用 /export 导出表格。")
    return "\n".join(lines)


def _csv_safe(value: Any) -> Any:
    # A cell starting with = + - @ would run as a formula when the CSV is opened in Excel or WPS.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


VIEWS: dict[str, tuple[str, list[str], Callable[..., list[list[Any]]]]] = {
    "summary": ("汇总", SUMMARY_COLUMNS, lambda rep, store, kb: summary_rows(rep)),
    "people": ("人员", PEOPLE_COLUMNS, lambda rep, store, kb: people_rows(rep)),
    "unprepared": ("未准备好", UNPREPARED_COLUMNS, lambda rep, store, kb: unprepared_rows(rep, store, kb)),
    "unanswered": ("未答好的问题", UNANSWERED_COLUMNS, lambda rep, store, kb: unanswered_rows(rep)),
}


def to_csv(report: Report, store: Store, kb: KnowledgeBase, view: str = "people") -> str:
    """One view (``summary``, ``people``, ``unprepared``, ``unanswered``) as CSV text (write it with
    ``utf-8-sig`` so Excel reads the Chinese). Raises KeyError for another view."""
    _, columns, rows_of = VIEWS[view]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in rows_of(report, store, kb):
        writer.writerow([_csv_safe(v) for v in row])
    return out.getvalue()


def to_xlsx(report: Report, store: Store, kb: KnowledgeBase) -> bytes:
    """The report as an .xlsx workbook: a cover sheet (scope, date, countdown, rule) and one sheet per view.
    Text cells are stored as text, never as formulas."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    book = openpyxl.Workbook()
    cover = book.active
    cover.title = "说明"
    for line in [f"备考情况 · {report.scope.label}", f"生成日期：{report.today.isoformat()}", report.countdown(),
                 report.rule.describe(), "“人员”表列出范围内所有人；“未准备好”表中最不熟悉的在前。"]:
        cover.append([line])
    cover["A1"].font = Font(bold=True, size=14)
    cover.column_dimensions["A"].width = 100
    for key, (title, columns, rows_of) in VIEWS.items():
        sheet = book.create_sheet(title)
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for r, row in enumerate(rows_of(report, store, kb), start=2):
            for c, value in enumerate(row, start=1):
                cell = sheet.cell(row=r, column=c)
                if isinstance(value, str):
                    cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
                    cell.data_type = "s"   # literal text even if it starts with "="
                else:
                    cell.value = value
        sheet.freeze_panes = "A2"
        for c, name in enumerate(columns, start=1):
            width = 40 if name in ("原因", "问题", "薄弱指标") else 14
            sheet.column_dimensions[openpyxl.utils.get_column_letter(c)].width = width
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()
