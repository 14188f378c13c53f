"""Town and city coordinators: who they are (configured, never self-declared) and the chat commands they get.

Coordinators are listed in ``config/coordinators.yaml`` or, when set, in $SHUXI_COORDINATORS (which then
replaces the file), as ``KEY=SCOPE`` pairs separated by ``,`` or ``;``, e.g.
``tg:123456789=city;tg:987654321=town:嘉积镇``. KEY is the account key the dialog sees: ``tg:<Telegram user
id>`` or ``cli:<name>`` (the terminal's ``--as NAME``). SCOPE is ``city`` or ``town:<镇名>``.

Commands (everyone else gets 无权限): ``/report``, ``/unprepared``, ``/person <姓名>``, ``/export`` (.xlsx),
``/chart`` (PNG), ``/unanswered``. Each builds its report from a query limited to the coordinator's scope.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from bot.coordination.readiness import ReadinessRule, SharedRule, load_rule, shared
from bot.coordination.report_views import (
    render_person_text,
    render_report_text,
    render_unanswered_text,
    render_unprepared_text,
    to_xlsx,
)
from bot.coordination.reports import Scope, build_report, find_people
from bot.kernel.messages import Attachment, Reply, cut_to_fit
from bot.kernel.store import Person
from bot.kernel.text import echo
from bot.kernel.yamlfile import load_model
from bot.qa.knowledge import PROJECT_ROOT

if TYPE_CHECKING:
    from bot.dialog import Dialog

DEFAULT_COORDINATORS = PROJECT_ROOT / "config" / "coordinators.yaml"
TOO_LONG = "……内容太长，只显示了前面一部分；完整内容请发送 /export 导出表格。"
NOT_PERMITTED = "无权限：这个命令只对镇级、市级协调员开放。如需开通请联系市乡村振兴局。"
COMMANDS = ("report", "unprepared", "person", "export", "chart", "unanswered")
#: (command, Chinese description) for a chat service's command menu, in :data:`COMMANDS` order.
COMMAND_DESCRIPTIONS = (
    ("report", "协调员：备考汇总（镇→村→角色，倒计时）"),
    ("unprepared", "协调员：未准备好的人员及薄弱指标"),
    ("person", "协调员：/person 姓名 查看某人"),
    ("export", "协调员：导出 Excel 表格"),
    ("chart", "协调员：备考情况图表"),
    ("unanswered", "协调员：机器人没答好的问题"),
)
COORDINATOR_HELP = ("协调员命令：/report 备考汇总 · /unprepared 未准备好的人员 · /person 姓名 查看某人 · "
                    "/export 导出表格 · /chart 图表 · /unanswered 机器人没答好的问题")

Key = Annotated[str, StringConstraints(pattern=r"^(tg:[0-9]{1,20}|cli:\S{1,64})$")]
ScopeText = Annotated[str, StringConstraints(pattern=r"^(city|town:\S.{0,29})$")]


class Coordinator(BaseModel):
    """One coordinator: account ``key``, ``scope`` (``city`` or ``town:<镇名>``), optional display ``name``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    key: Key
    scope: ScopeText
    name: str | None = None


class CoordinatorsFile(BaseModel):
    """``config/coordinators.yaml``: ``coordinators: [{key, scope, name?}, ...]``."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
    coordinators: list[Coordinator] = Field(default_factory=list)


def parse_env(text: str) -> dict[str, Scope]:
    """Parse $SHUXI_COORDINATORS (``KEY=SCOPE`` pairs separated by ``,`` or ``;``).

    Returns:
        {account key: scope}.
    Raises:
        ValueError: a pair without ``=``, a bad key or a bad scope.
    """
    out: dict[str, Scope] = {}
    for pair in text.replace(";", ",").split(","):
        pair = pair.strip()
        if not pair:
            continue
        key, sep, scope = pair.partition("=")
        if not sep:
            raise ValueError(f"SHUXI_COORDINATORS: '{pair}' is not KEY=SCOPE")
        coordinator = Coordinator(key=key.strip(), scope=scope.strip())
        out[coordinator.key] = Scope.parse(coordinator.scope)
    return out


def load_coordinators(path: str | Path | None = None, env: dict[str, str] | None = None) -> dict[str, Scope]:
    """Return {account key: scope} from $SHUXI_COORDINATORS if set, else from ``path`` (default
    ``config/coordinators.yaml``; a missing file means no coordinators).

    Raises:
        ValueError: a malformed $SHUXI_COORDINATORS.
        bot.kernel.yamlfile.DataFileError: a malformed file.
    """
    env = os.environ if env is None else env
    if env.get("SHUXI_COORDINATORS", "").strip():
        return parse_env(env["SHUXI_COORDINATORS"])
    path = Path(path or DEFAULT_COORDINATORS)
    if not path.is_file():
        return {}
    return {c.key: Scope.parse(c.scope) for c in load_model(path, CoordinatorsFile).coordinators}


class CoordinatorCommands:
    """The coordinator commands over one dialog's store and knowledge base.

    Args:
        dialog: the dialog whose store and knowledge base are reported on.
        coordinators: {account key: scope}.
        rule: the readiness rule, or the :class:`~bot.coordination.readiness.SharedRule` the reminders and
            ``/me`` also judge by (``/visitdate`` then reaches them at once).
        clock: returns the current aware time (tests pass a fixed one).
    """

    def __init__(self, dialog: "Dialog", coordinators: dict[str, Scope], rule: "ReadinessRule | SharedRule",
                 clock: Callable[[], datetime] | None = None):
        self.dialog = dialog
        self.coordinators = coordinators
        self.shared = shared(rule)
        self.clock = clock

    @property
    def rule(self) -> ReadinessRule:
        """The readiness rule in force."""
        return self.shared.rule

    def scope_of(self, person: Person) -> Scope | None:
        """Return the person's coordinator scope, or None if they are not a coordinator."""
        return self.coordinators.get(person.key)

    def _guard(self, handler: Callable[[Person, Scope, str], list[Reply]]) -> Callable[[Person, str], list[Reply]]:
        def run(person: Person, arg: str) -> list[Reply]:
            scope = self.scope_of(person)
            if scope is None:
                return [Reply(NOT_PERMITTED)]
            return [replace(r, text=cut_to_fit(r.text, TOO_LONG)) for r in handler(person, scope, arg)]
        return run

    def _report(self, scope: Scope, with_unanswered: bool = False):
        now = self.clock() if self.clock else None
        return build_report(self.dialog.store, self.dialog.kb, self.rule, scope, now, with_unanswered)

    def report(self, person: Person, scope: Scope, arg: str) -> list[Reply]:
        """``/report``: counts per town → village → role and the countdown."""
        return [Reply(render_report_text(self._report(scope)) + "\n\n" + COORDINATOR_HELP)]

    def unprepared(self, person: Person, scope: Scope, arg: str) -> list[Reply]:
        """``/unprepared``: who is not ready, least ready first, with weakest indicators and last activity."""
        return [Reply(render_unprepared_text(self._report(scope), self.dialog.store, self.dialog.kb))]

    def person(self, person: Person, scope: Scope, arg: str) -> list[Reply]:
        """``/person 姓名``: one person's record and every check of their verdict (only within the scope)."""
        name = arg.strip()
        if not name:
            return [Reply("请在命令后写姓名，比如：/person 王德福")]
        now = self.clock() if self.clock else None
        found = find_people(self.dialog.store, self.dialog.kb, self.rule, scope, name, now)
        if not found:
            return [Reply(f"{scope.label}范围内没有找到“{echo(name)}”。请核对姓名（须与名册一致）。")]
        return [Reply(render_person_text(found, self.dialog.store, self.dialog.kb, self.rule))]

    def export(self, person: Person, scope: Scope, arg: str) -> list[Reply]:
        """``/export``: the whole report as an .xlsx document (one sheet per view)."""
        report = self._report(scope, with_unanswered=True)
        data = to_xlsx(report, self.dialog.store, self.dialog.kb)
        name = f"备考情况-{'全市' if scope.town is None else scope.town}-{report.today.isoformat()}.xlsx"
        return [Reply(f"{scope.label}备考情况表（{len(report.people)} 人）。{report.countdown()}",
                      attachment=Attachment(name, data, "document"))]

    def chart(self, person: Person, scope: Scope, arg: str) -> list[Reply]:
        """``/chart``: a PNG of readiness per town (city scope) or per village (town scope)."""
        from bot.coordination.charts import readiness_chart

        chart = readiness_chart(self._report(scope))
        return [Reply(chart.caption, attachment=Attachment("readiness.png", chart.png, "photo"))]

    def visitdate(self, person: Person, scope: Scope, arg: str) -> list[Reply]:
        """``/visitdate YYYY-MM-DD`` (city coordinators only): set the day the assessors arrive, written into the
        readiness rule file; without a date, show the one set."""

        from bot.coordination.readiness import set_visit_date
        from bot.kernel import clock
        from bot.kernel.clock import parse_date

        current = self.rule.visit_date.isoformat() if self.rule.visit_date else "未设定"
        if scope.town is not None:
            return [Reply(f"只有市级协调员可以设定评估组进驻日期（现在：{current}）。")]
        text = arg.strip()
        if not text:
            return [Reply(f"评估组进驻日期：{current}。设定请发送 /visitdate 2026-11-01 这样的日期。")]
        try:
            day = parse_date(text.replace("年", "-").replace("月", "-").rstrip("日号")) if "年" in text else parse_date(text)
        except ValueError:
            return [Reply("日期请写成 2026-11-01 这样（年-月-日）。")]
        if day < clock.today():
            return [Reply(f"{day.isoformat()} 已经过去了。评估组进驻日期要写以后的日子（今天是 {clock.today().isoformat()}）；"
                          "日期过了以后提醒就停了。")]
        set_visit_date(day, self.shared.path)
        self.shared.set(self.rule.model_copy(update={"visit_date": day}))
        return [Reply(f"已设定评估组进驻日期：{day.isoformat()}。报告和提醒按这一天倒计时。")]

    def unanswered(self, person: Person, scope: Scope, arg: str) -> list[Reply]:
        """``/unanswered``: questions from people in scope that the bot could not answer well."""
        return [Reply(render_unanswered_text(self._report(scope, with_unanswered=True)))]


def install(dialog: "Dialog", coordinators: dict[str, Scope] | None = None,
            rule: "ReadinessRule | SharedRule | None" = None,
            clock: Callable[[], datetime] | None = None) -> CoordinatorCommands:
    """Register the coordinator commands on ``dialog`` (see the module docstring).

    Args:
        dialog: the dialog to extend (through ``dialog.add_command``).
        coordinators: {account key: scope}; default :func:`load_coordinators`.
        rule: the readiness rule (or the shared one); default :func:`bot.coordination.readiness.load_rule`.
        clock: the current time for reports (default: now).
    Returns:
        the command set (for tests and adapters).
    Raises:
        as :func:`load_coordinators` and :func:`bot.coordination.readiness.load_rule` when loading the defaults.
    """
    commands = CoordinatorCommands(dialog, load_coordinators() if coordinators is None else coordinators,
                                   rule or load_rule(), clock)
    for name in COMMANDS:
        dialog.add_command(name, commands._guard(getattr(commands, name)))
    dialog.add_command("visitdate", commands._guard(commands.visitdate))
    return commands
