"""An offline stand-in for the Telegram Bot API: a python-telegram-bot request object that records every call
and answers as Telegram does — including its refusals. No test touches the network.

What it is strict about (the descriptions are Telegram's own, as python-telegram-bot receives them):

* ``sendMessage``/``editMessageText``: empty text → 400 "Bad Request: message text is empty"; over 4096
  characters after HTML parsing → 400 "Bad Request: message is too long"; HTML with a tag Telegram does not know,
  an unclosed tag or a bare ``&`` → 400 "Bad Request: can't parse entities: …"; callback data over 64 bytes →
  400 "Bad Request: BUTTON_DATA_INVALID".
* edits: a message it never sent → 400 "Bad Request: message to edit not found"; the same text and keyboard
  again → 400 "Bad Request: message is not modified: …".
* ``answerCallbackQuery``: a query id it never issued (see :meth:`FakeBotAPI.press`), one answered already, or
  one older than :data:`QUERY_LIFETIME_S` → 400 "Bad Request: query is too old and response timeout expired or
  query id is invalid".
* a chat in ``blocked`` → 403 "Forbidden: bot was blocked by the user" for anything sent to it.
* flood control: ``flood_once`` ({chat id: seconds}) or ``flood_method`` ({method: seconds}) → 429 "Too Many
  Requests: retry after N" with ``parameters.retry_after``, once each.
* ``token_rejected`` → 401 "Unauthorized" for every call (python-telegram-bot raises ``InvalidToken``);
  ``network_down`` > 0 → that many calls fail as a connection error would (``NetworkError``).
* ``rtt_s`` seconds of simulated round trip per call (``delay(method, params)`` may vary it per call).
"""

from __future__ import annotations

import asyncio
import html
import json
import time
from html.parser import HTMLParser
from typing import Any, Callable

from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 999000, "is_bot": True, "first_name": "熟悉", "username": "shuxi_test_bot"}

#: seconds after which Telegram no longer accepts an answer to a callback query (it says "query is too old")
QUERY_LIFETIME_S = 15.0

NOT_MODIFIED = ("Bad Request: message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message")
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query id is invalid"

_HTML_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre", "span",
              "tg-spoiler", "tg-emoji", "blockquote"}


class _EntityCheck(HTMLParser):
    """Parse Telegram HTML the way the Bot API does: known tags only, balanced, entities spelled out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.text: list[str] = []
        self.open: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag not in _HTML_TAGS:
            self.error = self.error or f'unsupported start tag "{tag}"'
        self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            self.error = self.error or f'unmatched end tag "{tag}"'
        else:
            self.open.pop()

    def handle_data(self, data):
        if "&" in data or "<" in data:
            self.error = self.error or "unsupported start tag or bare character"
        self.text.append(data)

    def handle_entityref(self, name):
        if name not in ("lt", "gt", "amp", "quot"):
            self.error = self.error or f'unsupported HTML entity "&{name};"'
        self.text.append(html.unescape(f"&{name};"))

    def handle_charref(self, name):
        self.text.append(html.unescape(f"&#{name};"))


def parse_html(text: str) -> tuple[str, str | None]:
    """Return (the plain text Telegram would show, the parse error or None) for an HTML message."""
    parser = _EntityCheck()
    parser.feed(text)
    parser.close()
    if parser.rawdata:   # a "<" or "&" that never became a tag or entity
        parser.error = parser.error or "bare character"
    if parser.open and not parser.error:
        parser.error = f'can\'t find end tag corresponding to start tag "{parser.open[-1]}"'
    return "".join(parser.text), parser.error


class FakeBotAPI(BaseRequest):
    """Records ``(method, parameters)`` for every accepted Bot API call in ``calls`` (and ``(perf_counter time,
    method, chat id)`` in ``times``),
    and ``(method, parameters, status)`` for every refused one in ``refused``.

    Args:
        rtt_s: simulated round trip per call, in seconds.
        delay: optional ``delay(method, params) -> seconds`` that replaces ``rtt_s`` per call.
    """

    def __init__(self, rtt_s: float = 0.0, delay: Callable[[str, dict], float] | None = None) -> None:
        self.rtt_s = rtt_s
        self.delay = delay
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.times: list[tuple[float, str, Any]] = []
        self.refused: list[tuple[str, dict[str, Any], int]] = []
        #: (method, multipart parts {name: (filename, bytes, mime type)}) for every upload
        self.files: list[tuple[str, dict[str, Any]]] = []
        self.blocked: set[int] = set()
        self.flood_once: dict[int, int] = {}
        self.flood_method: dict[str, int] = {}
        self.token_rejected = False
        self.network_down = 0
        #: every message in every chat as Telegram keeps it: (chat id, message id) → message dict (+ "_html")
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._chat_messages: dict[int, list[int]] = {}   # chat id → its message ids, oldest first
        self._queries: dict[str, float] = {}
        self._message_id = 100
        self._query_id = 0
        self.on_get_updates: Callable[[], None] | None = None

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 1.0

    # --- what a person does on their phone ----------------------------------------------------------------------
    def press(self, data: str, chat_id: int, user: dict, age_s: float = 0.0) -> dict[str, Any]:
        """Return the ``callback_query`` of ``user`` pressing the button with ``data`` on the newest message in
        ``chat_id`` that has it, pressed ``age_s`` seconds ago; the query id is then valid for an answer.

        Raises:
            LookupError: no message in that chat has such a button.
        """
        for message_id in reversed(self._chat_messages.get(chat_id, [])):
            message = self.messages[(chat_id, message_id)]
            rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
            if any(b.get("callback_data") == data for row in rows for b in row):
                self._query_id += 1
                query_id = f"q{self._query_id}"
                self._queries[query_id] = time.monotonic() - age_s
                snapshot = {k: v for k, v in message.items() if not k.startswith("_")}
                return {"id": query_id, "from": user, "chat_instance": f"ci{chat_id}", "data": data,
                        "message": snapshot}
        raise LookupError(f"no message in chat {chat_id} has a button {data!r}")

    def last_message(self, chat_id: int) -> dict[str, Any]:
        """Return the newest message the bot has in ``chat_id`` (as Telegram keeps it, after edits)."""
        return self.messages[(chat_id, self._chat_messages[chat_id][-1])]

    # --- the Bot API ----------------------------------------------------------------------------------------------
    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=None, write_timeout=None, connect_timeout=None, pool_timeout=None):
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        if name == "getUpdates":
            if self.on_get_updates is not None:
                self.on_get_updates()
            await asyncio.sleep(0.05)   # long polling: nothing new
            return 200, json.dumps({"ok": True, "result": []}).encode()
        wait = self.delay(name, params) if self.delay is not None else self.rtt_s
        if wait:
            await asyncio.sleep(wait)
        if self.network_down > 0:
            self.network_down -= 1
            raise NetworkError("httpx.ConnectError: [Errno -3] Temporary failure in name resolution")
        if self.token_rejected:
            return self._refuse(name, params, 401, "Unauthorized")
        chat_id = params.get("chat_id")
        if name.startswith(("send", "edit")) and chat_id in self.blocked:
            return self._refuse(name, params, 403, "Forbidden: bot was blocked by the user")
        seconds = self.flood_once.pop(chat_id, None) if name.startswith("send") else None
        seconds = seconds or self.flood_method.pop(name, None)
        if seconds:
            return self._refuse(name, params, 429, f"Too Many Requests: retry after {seconds}",
                                {"retry_after": seconds})
        try:
            result = self._result(name, params, request_data)
        except _Refusal as refusal:
            return self._refuse(name, params, 400, str(refusal))
        self.calls.append((name, params))
        self.times.append((time.perf_counter(), name, chat_id))
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _refuse(self, name, params, status, description, parameters=None):
        self.refused.append((name, params, status))
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        return status, json.dumps(body).encode()

    def _result(self, name: str, params: dict[str, Any], request_data: RequestData | None) -> Any:
        if name == "getMe":
            return BOT_USER
        if name == "answerCallbackQuery":
            issued = self._queries.pop(params.get("callback_query_id"), None)
            if issued is None or time.monotonic() - issued > QUERY_LIFETIME_S:
                raise _Refusal(QUERY_TOO_OLD)
            return True
        if name in ("sendMessage", "editMessageText"):
            plain = self._check_text(params.get("text", ""), params.get("parse_mode"))
            self._check_markup(params.get("reply_markup"))
            if name == "sendMessage":
                return self._store(params, text=plain, html_text=params.get("text", ""))
            return self._edit(params, text=plain, html_text=params.get("text", ""))
        if name == "editMessageReplyMarkup":
            self._check_markup(params.get("reply_markup"))
            return self._edit(params)
        if name in ("sendDocument", "sendPhoto"):
            if request_data and request_data.multipart_data:
                self.files.append((name, dict(request_data.multipart_data)))
            caption = params.get("caption")
            if caption is not None:
                self._check_text(caption, params.get("parse_mode"), limit=1024)
            return self._store(params, text=None, html_text=None)
        if name == "sendPoll":
            message = self._store(params, text=None, html_text=None)
            options = params["options"]
            message["poll"] = {"id": f"poll{message['message_id']}", "question": params["question"],
                               "options": [{"text": o if isinstance(o, str) else o["text"], "voter_count": 0,
                                            "persistent_id": f"o{i}"} for i, o in enumerate(options)],
                               "total_voter_count": 0, "is_closed": False, "is_anonymous": False, "type": "quiz",
                               "allows_multiple_answers": False, "allows_revoting": False, "members_only": False,
                               "correct_option_ids": params.get("correct_option_ids")}
            return message
        return True

    @staticmethod
    def _check_text(text: str, parse_mode: str | None, limit: int = 4096) -> str:
        plain, error = parse_html(text) if parse_mode == "HTML" else (text, None)
        if error:
            raise _Refusal(f"Bad Request: can't parse entities: {error}")
        if not plain.strip() and limit == 4096:
            raise _Refusal("Bad Request: message text is empty")
        if len(plain) > limit:
            raise _Refusal("Bad Request: message is too long" if limit == 4096
                           else "Bad Request: message caption is too long")
        return plain

    @staticmethod
    def _check_markup(markup: dict | None) -> None:
        for row in (markup or {}).get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= 64:
                    raise _Refusal("Bad Request: BUTTON_DATA_INVALID")

    def _store(self, params: dict[str, Any], text: str | None, html_text: str | None) -> dict[str, Any]:
        self._message_id += 1
        chat_id = params["chat_id"]
        message: dict[str, Any] = {"message_id": self._message_id, "date": 0, "from": BOT_USER,
                                   "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup",
                                            **({} if chat_id > 0 else {"title": "群"})}}
        if text is not None:
            message["text"] = text
        if params.get("reply_markup"):
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, self._message_id)] = {**message, "_html": html_text}
        self._chat_messages.setdefault(chat_id, []).append(self._message_id)
        return message

    def _edit(self, params: dict[str, Any], text: str | None = None, html_text: str | None = None) -> Any:
        key = (params.get("chat_id"), params.get("message_id"))
        stored = self.messages.get(key)
        if stored is None:
            raise _Refusal("Bad Request: message to edit not found")
        new = dict(stored)
        if html_text is not None:
            new["text"], new["_html"] = text, html_text
        new.pop("reply_markup", None)
        if params.get("reply_markup") and params["reply_markup"].get("inline_keyboard"):
            new["reply_markup"] = params["reply_markup"]
        if new.get("_html") == stored.get("_html") and new.get("reply_markup") == stored.get("reply_markup"):
            raise _Refusal(NOT_MODIFIED)
        self.messages[key] = new
        return {k: v for k, v in new.items() if not k.startswith("_")}

    # --- for assertions -----------------------------------------------------------------------------------------
    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Return the parameters of every call to ``method`` so far, and forget them."""
        out = [p for m, p in self.calls if m == method]
        self.calls = [(m, p) for m, p in self.calls if m != method]
        return out


class _Refusal(Exception):
    """A 400 Bad Request, with Telegram's description."""
