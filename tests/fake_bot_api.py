"""An offline stand-in for the Telegram Bot API: a python-telegram-bot request object that records every call
and answers like Telegram would. No test touches the network."""

from __future__ import annotations

import json
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_USER = {"id": 999000, "is_bot": True, "first_name": "熟悉", "username": "shuxi_test_bot"}


class FakeBotAPI(BaseRequest):
    """Records ``(method, parameters)`` for every Bot API call in ``calls``."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
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
        self.calls.append((name, params))
        if name == "getMe":
            result: Any = BOT_USER
        elif name in ("sendMessage", "sendDocument", "sendPhoto"):
            self._message_id += 1
            result = {"message_id": self._message_id, "date": 0, "text": params.get("text", ""),
                      "chat": {"id": params["chat_id"], "type": "private"}, "from": BOT_USER}
            if request_data and request_data.multipart_data:
                self.files.append((name, {k: v for k, v in request_data.multipart_data.items()}))
        else:
            result = True
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        """Return the parameters of every call to ``method`` so far, and forget them."""
        out = [p for m, p in self.calls if m == method]
        self.calls = [(m, p) for m, p in self.calls if m != method]
        return out
