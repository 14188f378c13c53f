"""Invites: every roster person's code binds one chat account to their roster row (``/start CODE`` on Telegram,
``/i/CODE`` on the web), once; a code used in one channel and followed in another joins the accounts into one
person, one history."""

from __future__ import annotations

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
            joined = _join_web_account(store, person, code)
            if joined is not None:
                return joined
            exists = next(store.db.query("select 1 from roster where invite_code = ?", [code]), None)
            if exists:
                raise InviteError("used", "这个邀请码已经用过了（每个邀请码只能用一次）。"
                                          "如果不是您本人使用的，请联系镇里的协调员。")
            raise InviteError("unknown", "邀请码不对。请检查链接是否完整，或联系镇里的协调员重新发送。")
    entry = next(e for e in entries(store) if e.invite_code == code)
    store.register(person.id, entry.name, entry.role, entry.town, entry.village)
    store.set_state(person.id, {})
    return entry


def _join_web_account(store: Store, person: Person, code: str) -> RosterEntry | None:
    """A code first used in a phone browser, followed later as a Telegram link by a Telegram account that has
    done nothing yet: that account becomes the web person (one person, one history). Returns the roster row, or
    None when the code's row is not bound to a web account or this account already has a history of its own.

    The web person keeps its id, so the browser session (which names the person by id) stays signed in; the
    empty Telegram row is renamed ``joined:<key>:<id>`` so no key names two people.
    """
    if person.key.startswith("web:"):
        return None
    row = next(store.db.query("select r.person_id as pid, p.key as key from roster r join people p "
                              "on p.id = r.person_id where r.invite_code = ?", [code]), None)
    if row is None or not str(row["key"]).startswith("web:") or row["pid"] == person.id:
        return None
    has_history = store.db.execute("select exists(select 1 from quiz_answers where person_id = ?) "
                                   "or exists(select 1 from quiz_sessions where person_id = ?)",
                                   [person.id, person.id]).fetchone()[0]
    if has_history:
        return None
    with store.db.conn:
        store.db.execute("update people set key = ? where id = ?", [f"joined:{person.key}:{person.id}", person.id])
        store.db.execute("update people set key = ? where id = ?", [person.key, row["pid"]])
    return entry_of_person(store, row["pid"])


def redeem_reply_text(store: Store, person: Person, code: str) -> str:
    """Redeem ``code`` for ``person`` (see :func:`redeem_invite`) and return the Chinese text to show them."""
    try:
        entry = redeem_invite(store, person, code)
    except InviteError as exc:
        return f"{exc}\n也可以发送 /start 自行登记（显示为“未核实”）。"
    return (f"绑定成功：{entry.name}，{Role(entry.role).label}，{entry.town} {entry.village}。\n"
            "发送 /quiz 开始练习，/me 查看进度，也可以直接提问。")
