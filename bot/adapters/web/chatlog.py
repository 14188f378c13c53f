"""What a web chat page shows: the last exchanges of a person on the web (``web_messages``) and the files the bot
sent them (``web_files``), kept in the bot's database so a reload, a second tab or a restart shows the same page.

Entries are plain data (text as typed or as the dialog wrote it); the templates escape everything when rendering.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field

from bot.kernel.messages import Reply
from bot.kernel.store import Store, utcnow

#: Entries kept per person (older ones are deleted).
KEEP_MESSAGES = 40
#: Files kept per person (older ones are deleted).
KEEP_FILES = 10
#: A reply longer than this (characters) is shown cut, with a note; Telegram's own limit is 4096.
MAX_SHOWN_CHARS = 4000

_SCHEMA = [
    "create table if not exists web_messages (id integer primary key, person_id integer not null, "
    "batch integer not null, who text not null, payload text not null, at text not null)",
    "create index if not exists idx_web_messages_person on web_messages(person_id, id)",
    "create table if not exists web_files (id text primary key, person_id integer not null, filename text not null, "
    "kind text not null, data blob not null, created_at text not null)",
    "create index if not exists idx_web_files_person on web_files(person_id, created_at)",
]


def ensure_schema(store: Store) -> None:
    """Create the chat log's tables if they are missing (idempotent)."""
    with store.db.conn:
        for sql in _SCHEMA:
            store.db.execute(sql)


@dataclass
class Entry:
    """One bubble: ``who`` is ``me`` (the person) or ``bot``; ``batch`` groups a message with its replies.

    Bot entries carry ``title``, ``buttons`` (rows of ``(label, data)``), and a file (``file_id``, ``filename``,
    ``kind`` ``photo`` or ``document``) when the reply had an attachment; ``cut`` is True when the text was
    shortened to :data:`MAX_SHOWN_CHARS`."""

    who: str
    batch: int
    text: str
    title: str | None = None
    buttons: list[list[tuple[str, str]]] = field(default_factory=list)
    file_id: str | None = None
    filename: str | None = None
    kind: str | None = None
    cut: bool = False


def record(store: Store, person_id: int, said: str, replies: list[Reply]) -> int:
    """Append what the person ``said`` (text, or a pressed button's label) and the dialog's ``replies``; store
    attachments as files. Returns the batch number. Keeps the last :data:`KEEP_MESSAGES` entries."""
    now = utcnow()
    with store.db.conn:
        row = store.db.execute("select coalesce(max(batch), 0) + 1 from web_messages where person_id = ?",
                               [person_id]).fetchone()
        batch = row[0]
        rows = [("me", {"text": said[:2000]})]
        for reply in replies:
            text = reply.text
            payload: dict = {"text": text[:MAX_SHOWN_CHARS], "cut": len(text) > MAX_SHOWN_CHARS, "title": reply.title,
                             "buttons": [[[b.label, b.data] for b in r] for r in reply.buttons]}
            if reply.attachment is not None:
                fid = secrets.token_urlsafe(16)
                store.db.execute("insert into web_files (id, person_id, filename, kind, data, created_at) "
                                 "values (?, ?, ?, ?, ?, ?)", [fid, person_id, reply.attachment.filename,
                                                               reply.attachment.kind, reply.attachment.data, now])
                payload.update(file_id=fid, filename=reply.attachment.filename, kind=reply.attachment.kind)
            rows.append(("bot", payload))
        for who, payload in rows:
            store.db.execute("insert into web_messages (person_id, batch, who, payload, at) values (?, ?, ?, ?, ?)",
                             [person_id, batch, who, json.dumps(payload, ensure_ascii=False), now])
        store.db.execute("delete from web_messages where person_id = ? and id <= (select id from web_messages "
                         "where person_id = ? order by id desc limit 1 offset ?)", [person_id, person_id, KEEP_MESSAGES])
        store.db.execute("delete from web_files where person_id = ? and id in (select id from web_files "
                         "where person_id = ? order by created_at desc, rowid desc limit -1 offset ?)",
                         [person_id, person_id, KEEP_FILES])
    return batch


def entries(store: Store, person_id: int) -> list[Entry]:
    """The person's kept entries, oldest first."""
    out = []
    for batch, who, payload in store.db.execute("select batch, who, payload from web_messages where person_id = ? "
                                                "order by id", [person_id]):
        p = json.loads(payload)
        out.append(Entry(who, batch, p.get("text", ""), p.get("title"),
                         [[(label, data) for label, data in row] for row in p.get("buttons", [])],
                         p.get("file_id"), p.get("filename"), p.get("kind"), bool(p.get("cut"))))
    return out


def file(store: Store, person_id: int, file_id: str) -> tuple[str, str, bytes] | None:
    """Return ``(filename, kind, data)`` of a file the bot sent to ``person_id``, or None (unknown, or another
    person's: the same answer)."""
    row = store.db.execute("select filename, kind, data from web_files where id = ? and person_id = ?",
                           [file_id, person_id]).fetchone()
    return (row[0], row[1], bytes(row[2])) if row else None
