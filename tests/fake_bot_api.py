"""An offline stand-in for the Telegram Bot API: a python-telegram-bot request object that records every call
and answers like Telegram would. No test touches the network."""

from __future__ import annotations

import json
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 999000, "is_bot": True, "first_name": "熟悉", "username": "shuxi_test_bot"}


class FakeBotAPI(BaseRequest):
    """Records ``(method, parameters)`` for every Bot API call in ``calls``.

    To test sending to many: a message to a chat id in ``blocked`` is answered 403 (the person blocked the bot,
    as Telegram says it), and one in ``flood_once`` ({chat id: seconds}) is answered 429 with that
    ``retry_after`` the first time only. Refused calls are recorded too, in ``refused``, not in ``calls``.
    """

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.blocked: set[int] = set()
        self.flood_once: dict[int, int] = {}
        self.refused: list[tuple[str, dict[str, Any], int]] = []
        #: (method, multipart parts {name: (filename, bytes, mime type)}) for every upload
        self.files: list[tuple[str, dict[str, Any]]] = []
        self._message_id = 100

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

    @property
    def read_timeout(self) -> float:
        return 1.0

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout=None, write_timeout=None, connect_timeout=None, pool_timeout=None):
        name = url.rsplit("/", 1)[-1]
        params = request_data.parameters if request_data else {}
        chat_id = params.get("chat_id")
        if name.startswith("send") and chat_id in self.blocked:
            self.refused.append((name, params, 403))
            return 403, json.dumps({"ok": False, "error_code": 403,
                                    "description": "Forbidden: bot was blocked by the user"}).encode()
        if name.startswith("send") and chat_id in self.flood_once:
            seconds = self.flood_once.pop(chat_id)
            self.refused.append((name, params, 429))
            return 429, json.dumps({"ok": False, "error_code": 429,
                                    "description": f"Too Many Requests: retry after {seconds}",
                                    "parameters": {"retry_after": seconds}}).encode()
        self.calls.append((name, params))
        if name == "getMe":
            result: Any = BOT_USER
        elif name in ("sendMessage", "sendDocument", "sendPhoto"):
            self._message_id += 1
            result = {"message_id": self._message_id, "date": 0, "text": params.get("text", ""),
                      "chat": {"id": params["chat_id"], "type": "private"}, "from": BOT_USER}
            if request_data and request_data.multipart_data:
                self.files.append((name, {k: v for k, v in request_data.multipart_data.items()}))
        elif name == "sendPoll":
            self._message_id += 1
            options = params["options"]
            result = {"message_id": self._message_id, "date": 0, "chat": {"id": params["chat_id"], "type": "private"},
                      "from": BOT_USER,
                      "poll": {"id": f"poll{self._message_id}", "question": params["question"],
                               "options": [{"text": o if isinstance(o, str) else o["text"], "voter_count": 0,
                                            "persistent_id": f"o{i}"} for i, o in enumerate(options)],
                               "total_voter_count": 0, "is_closed": False, "is_anonymous": False, "type": "quiz",
                               "allows_multiple_answers": False, "allows_revoting": False, "members_only": False,
                               "correct_option_ids": params.get("correct_option_ids")}}
        else:
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Return the parameters of every call to ``method`` so far, and forget them."""
        out = [p for m, p in self.calls if m == method]
        self.calls = [(m, p) for m, p in self.calls if m != method]
        return out
