"""Invites: every roster person's code binds one chat account to their roster row (``/start CODE`` on Telegram,
``/i/CODE`` on the web) — once, in one channel; after that the code is refused everywhere, so a link forwarded
into a WeChat group is worth nothing.

A person who wants a second channel asks the first for a one-time link code (``/link``): only someone already
signed in as them can make one. Following it in the other channel joins that account to the same person — one
person, one history — provided the joining account has no practice of its own.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta

from bot.kernel import clock
from bot.kernel.messages import Reply
from bot.kernel.roles import Role
from bot.kernel.store import Person, Store, utcnow

from .roster import RosterEntry, entries, entry_from_row


class InviteError(Exception):
    """An invite code could not be redeemed. ``reason`` is ``unknown``, ``used`` or ``already_bound``."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def invite_link(bot_username: str, code: str) -> str:
    """Return the Telegram deep link that sends ``/start <code>`` to the bot ``bot_username`` (with or without @)."""
    return f"https://t.me/{bot_username.lstrip('@')}?start={code}"


def entry_of_person(store: Store, person_id: int) -> RosterEntry | None:
    """Return the roster row bound to ``person_id``, or None (an unverified or unregistered person)."""
    row = next(store.db.query("select * from roster where person_id = ?", [person_id]), None)
    return entry_from_row(row) if row else None


def redeem_invite(store: Store, person: Person, code: str) -> RosterEntry:
    """Bind ``person``'s account to the roster row of ``code`` and register them with the roster's details.

    The check and the binding happen in one statement, so two accounts racing for one code cannot both win.
    The account already bound by this very code gets its row back unchanged.

    Returns:
        the bound roster row.
    Raises:
        InviteError: ``unknown`` (no such code), ``used`` (already redeemed, by anyone), ``already_bound``
            (this account is already bound to another roster row).
    """
    code = code.strip()
    bound = entry_of_person(store, person.id)
    if bound is not None and bound.invite_code != code:
        raise InviteError("already_bound", f"您的账号已经绑定名册中的“{bound.name}”（{bound.town} {bound.village}），"
                                           "不能再绑定其他人。如有错误请联系镇里的协调员。")
    if bound is not None:   # the same account following its own link again: nothing to do
        return bound
    with store.db.conn:
        cur = store.db.execute("update roster set person_id = ?, invite_used_at = ? "
                               "where invite_code = ? and invite_used_at is null", [person.id, utcnow(), code])
        if cur.rowcount == 0:
            exists = next(store.db.query("select 1 from roster where invite_code = ?", [code]), None)
            if exists:
                raise InviteError("used", "这个邀请码已经用过了（每个邀请码只能用一次）。"
                                          "如果不是您本人使用的，请联系镇里的协调员。")
            raise InviteError("unknown", "邀请码不对。请检查链接是否完整，或联系镇里的协调员重新发送。")
    entry = next(e for e in entries(store) if e.invite_code == code)
    store.register(person.id, entry.name, entry.role, entry.town, entry.village)
    store.set_state(person.id, {})
    return entry


#: How long a ``/link`` code stays good (hours).
LINK_CODE_HOURS = 24


def new_link_code(store: Store, person: Person) -> str:
    """Make a one-time code (96 bits, URL-safe) that joins another channel's account to ``person``; earlier unused
    codes of theirs stop working."""
    code = "L" + secrets.token_urlsafe(12)
    with store.db.conn:
        store.db.execute("update link_codes set used_at = ? where person_id = ? and used_at is null",
                         [utcnow(), person.id])
        store.db.execute("insert into link_codes (code, person_id, created_at) values (?, ?, ?)",
                         [code, person.id, utcnow()])
    return code


def link_code_person(store: Store, code: str) -> int | None:
    """The person a fresh, unused link code was made by; None for anything else (unknown, used, expired)."""
    since = (clock.now() - timedelta(hours=LINK_CODE_HOURS)).isoformat()
    row = store.db.execute("select person_id from link_codes where code = ? and used_at is null and created_at >= ?",
                           [code.strip(), since]).fetchone()
    return row[0] if row else None


def claim_link_code(store: Store, code: str) -> int | None:
    """Use a link code (once: two racing claims cannot both win); return its person, or None."""
    target = link_code_person(store, code)
    if target is None:
        return None
    with store.db.conn:
        cur = store.db.execute("update link_codes set used_at = ? where code = ? and used_at is null",
                               [utcnow(), code.strip()])
    return target if cur.rowcount == 1 else None


def has_history(store: Store, person_id: int) -> bool:
    """True when the person has practised (a quiz session or an answer): such an account is never merged away."""
    return bool(store.db.execute("select exists(select 1 from quiz_answers where person_id = ?) "
                                 "or exists(select 1 from quiz_sessions where person_id = ?)",
                                 [person_id, person_id]).fetchone()[0])


def join_account(store: Store, person: Person, code: str) -> str:
    """Follow a link code with ``person``'s account (``/start CODE`` on Telegram): this account's key now names the
    code's person. Returns the Chinese text to show.

    The joined person keeps its id, so their sessions elsewhere stay signed in; the empty account left behind is
    renamed ``joined:<key>:<id>`` so no key names two people.
    """
    target = link_code_person(store, code)
    if target is None:
        return "这个链接码无效或已经用过了（链接码只能用一次，24 小时内有效）。请在已登录的地方重新发送 /link。"
    if target == person.id:
        return "这就是您现在的账号，不用再绑定。"
    if has_history(store, person.id):
        return ("这个账号已经有自己的练习记录，不能再合并到另一个账号。"
                "如需合并，请联系镇里的协调员。")
    if claim_link_code(store, code) is None:
        return "这个链接码已经用过了。请在已登录的地方重新发送 /link。"
    with store.db.conn:
        store.db.execute("update people set key = ? where id = ?", [f"joined:{person.key}:{person.id}", person.id])
        store.db.execute("update people set key = ? where id = ?", [person.key, target])
    joined = store.person_by_id(target)
    who = f"{joined.name}（{joined.town} {joined.village}）" if joined.registered else "您在另一处的账号"
    return f"绑定成功：这里和{who}是同一个人，练习记录合在一起。"


def link_reply(store: Store, person: Person) -> str:
    """``/link``: a one-time code (and links, where configured) for joining another channel to this person."""
    code = new_link_code(store, person)
    lines = [f"要在另一处（手机浏览器或 Telegram）接着用同一个账号，请在 {LINK_CODE_HOURS} 小时内打开："]
    web, bot = os.environ.get("SHUXI_WEB_BASE", "").strip().rstrip("/"), os.environ.get("SHUXI_BOT_USERNAME", "")
    if web:
        lines.append(f"• 手机浏览器：{web}/i/{code}")
    if bot.strip().lstrip("@"):
        lines.append(f"• Telegram：https://t.me/{bot.strip().lstrip('@')}?start={code}")
    lines.append(f"• 或在那里发送：/start {code}")
    lines.append("这个链接码只能用一次，只发给自己，不要转发给别人。")
    return "\n".join(lines)


def install(dialog) -> None:
    """Register ``/link`` with the dialog (private chats only: the adapters refuse personal commands in groups)."""
    dialog.add_command("link", lambda person, arg: [Reply(link_reply(dialog.store, person))],
                       help="• /link 在另一处（手机浏览器或 Telegram）接着用同一个账号", order=85)


def redeem_reply_text(store: Store, person: Person, code: str) -> str:
    """Redeem ``code`` for ``person`` — a roster invite (see :func:`redeem_invite`) or a ``/link`` code (see
    :func:`join_account`) — and return the Chinese text to show them."""
    if code.strip().startswith("L") and link_code_person(store, code) is not None:
        return join_account(store, person, code)
    try:
        entry = redeem_invite(store, person, code)
    except InviteError as exc:
        return f"{exc}\n也可以发送 /start 自行登记（显示为“未核实”）。"
    return (f"绑定成功：{entry.name}，{Role(entry.role).label}，{entry.town} {entry.village}。\n"
            "发送 /practice 按您的角色开始练习，/me 查看进度，也可以直接提问。")
