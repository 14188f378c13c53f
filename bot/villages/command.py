"""``/village``: a person's own village card; coordinators' villages within their scope."""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from bot.kernel.messages import Reply
from bot.kernel.store import Person
from bot.kernel.text import echo

from .cells import place_key
from .fields import VillageFields
from .sheet import VillageSheet, needs_invite, sheet_of, sheets_in_scope
from .source import VillageFacts

if TYPE_CHECKING:
    from bot.dialog import Dialog
    from bot.kernel.scope import Scope


# -------------------------------------------------------------------------------------------------- /village
NO_REGISTRATION = "还没有登记您所在的镇和村。发送 /start 登记后，就能用 /village 看本村的村情卡。"
OTHER_VILLAGE = "只能查看本村的村情卡（您登记的是{own}）。查看其他村需要镇级或市级协调员权限。"


class VillageCommand:
    """``/village`` shows the person's own village card; ``/village [镇] 村名`` another village's, for a coordinator
    whose scope holds it (a town coordinator's search is limited to their town: another town's village is "not
    found", the same as one that does not exist).

    Args:
        source: the village facts.
        scope_of: returns a person's coordinator scope (``.town`` None for the city, ``.label``), or None.
    """

    def __init__(self, source: VillageFacts, scope_of: Callable[[Person], "Scope | None"] | None = None):
        self.source = source
        self.scope_of = scope_of or (lambda person: None)

    def __call__(self, person: Person, arg: str) -> list[Reply]:
        words = arg.split()
        scope = self.scope_of(person)
        own = sheet_of(self.source.store, person)
        registered = person.registered and person.town and person.village
        if len(words) > 2:
            return [Reply("用法：/village 看本村；协调员可用 /village 村名 或 /village 镇名 村名。")]
        if words:
            town, village = (words[0], words[1]) if len(words) == 2 else (None, words[0])
            mine = registered and place_key(village, "village") == place_key(person.village or "", "village") and \
                (town is None or place_key(town, "town") == place_key(person.town or "", "town"))
            if scope is None or mine:
                if not registered:
                    return [Reply(NO_REGISTRATION)]
                if not mine:
                    return [Reply(OTHER_VILLAGE.format(own=f"{person.town} {person.village}"))]
                return [self._own(person, own)]
            return [self._in_scope(scope, town, village)]
        if registered:
            replies = [self._own(person, own)]
            if own is None and scope is not None:
                replies.append(self._list(scope))
            return replies
        if scope is not None:
            return [self._list(scope)]
        return [Reply(NO_REGISTRATION)]

    def _own(self, person: Person, sheet: VillageSheet | None) -> Reply:
        if sheet is None and needs_invite(self.source.store, person):
            return Reply("村情涉及农户信息，只给协调员名册上的人看。"
                         "请用协调员发给您的邀请链接（/start 加邀请码）登记后再查看。")
        if sheet is None:
            return Reply(f"还没有导入{person.town}{person.village}的村情表，请联系镇里的协调员导入。"
                         f"（村情表里的镇、村名要和您登记的“{person.town} {person.village}”一致。）")
        return Reply(self.source.card(sheet, person.role))

    def _in_scope(self, scope: "Scope", town: str | None, village: str) -> Reply:
        if town is not None and scope.town is not None and place_key(town, "town") != place_key(scope.town, "town"):
            found: list[VillageSheet] = []
        else:
            found = sheets_in_scope(self.source.store, scope.town if scope.town is not None else town, village)
        if not found:
            return Reply(f"{scope.label}范围内没有“{echo(village)}”的村情表。发送 /village 看已导入的村。")
        if len(found) > 1:
            return Reply("有几个同名的村，请写上镇名：" + "、".join(f"/village {s.town} {s.village}" for s in found))
        return Reply(self.source.card(found[0]))

    def _list(self, scope: "Scope") -> Reply:
        sheets = sheets_in_scope(self.source.store, scope.town)
        if not sheets:
            return Reply(f"{scope.label}还没有导入村情表（python -m bot villages import 文件）。")
        lines = [f"{scope.label}已导入村情表的村（{len(sheets)} 个）："]
        lines += [f"· {s.town} {s.village}（{s.imported_on()} 导入）" for s in sheets]
        lines.append("发送 /village 村名 查看。")
        return Reply("\n".join(lines))


def install(dialog: "Dialog", fields: VillageFields | None = None,
            scope_of: Callable[[Person], "Scope | None"] | None = None) -> VillageFacts:
    """Add village fact cards to ``dialog``: the question source (``dialog.add_question_source``, so ``/practice``
    and ``/interview`` include the person's village facts) and the ``/village`` command.

    Args:
        dialog: the dialog to extend.
        fields: the field list (default: :func:`load_fields`).
        scope_of: a person's coordinator scope or None (e.g.
            :meth:`bot.coordination.coordinators.CoordinatorCommands.scope_of`); without it nobody is a coordinator.
    Returns:
        the source (for tests and the readiness rule).
    Raises:
        DataFileError: a broken field list, when loading the default.
    """
    source = VillageFacts(dialog.store, fields)
    dialog.add_question_source(source)
    dialog.add_command("village", VillageCommand(source, scope_of),
                       help="• /village 看本村的村情卡（户数、脱贫户、产业等，评估组会问）", order=50)
    return source

