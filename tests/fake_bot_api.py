"""A small fake Telegram Bot API server on 127.0.0.1 for tests and benchmarks.

It speaks enough of the real HTTP API for python-telegram-bot's own request layer: it records every
call, answers sendMessage/editMessageText/sendDocument with real-looking messages, serves queued
updates to getUpdates (long polling), answers 400 to text Telegram would refuse (HTML it
cannot parse, a bare '<' or '&', more than 4096 characters), and can be told to fail: a chat
that blocked the bot (403), flood control (429 with retry_after), or a server error.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from bot import telegram_html

BOT_ID = 4242
TOKEN = f"{BOT_ID}:TEST-token"


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)


class FakeBotApi:
    """Start with ``await api.start()``; point the bot at ``api.base_url``."""

    def __init__(self, latency: float = 0.0) -> None:
        self.calls: list[Call] = []
        # Like Telegram: an update stays until a getUpdates with a higher offset confirms it,
        # so a poll from a killed process cannot swallow it.
        self.updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self.blocked: set[int] = set()
        self.flood: dict[int, float] = {}  # chat id -> retry_after to answer once
        self.fail_times: dict[int, int] = defaultdict(int)  # chat id -> 500s left to answer
        self.latency = latency
        # An outage: "500" answers every send with a server error, "drop" closes the connection
        # (a network error); None is normal service.
        self.down: str | None = None
        self.on_send: Any = None  # optional callback(chat_id) before a message is recorded
        self._message_ids = itertools.count(1000)
        self._update_ids = itertools.count(1)
        self._server: asyncio.Server | None = None
        self.port = 0
        self.new_call = asyncio.Event()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1)

    # -- what tests use --------------------------------------------------------------------------

    def sent(self, method: str = "sendMessage", chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == method
            and (chat_id is None or int(c.params.get("chat_id", 0)) == chat_id)
        ]

    async def wait_for(
        self, method: str, count: int = 1, within: float = 5.0, chat_id: int | None = None
    ) -> list[Call]:
        """Wait until ``count`` calls of ``method`` have arrived (no sleeps in tests)."""
        deadline = time.monotonic() + within
        while len(self.sent(method, chat_id)) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                got = [c.method for c in self.calls]
                raise AssertionError(f"expected {count} {method} call(s), got: {got}")
            self.new_call.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.new_call.wait(), remaining)
        return self.sent(method, chat_id)

    def push_message(self, text: str, user_id: int = 111, **fields: Any) -> dict[str, Any]:
        """Queue a message update for getUpdates (fields as for ``message``)."""
        update = {
            "update_id": next(self._update_ids),
            "message": self.message(text, user_id, **fields),
        }
        self._queue(update)
        return update

    def message(
        self,
        text: str,
        user_id: int = 111,
        first_name: str = "Ala",
        chat_id: int | None = None,
        language_code: str = "en",
    ) -> dict[str, Any]:
        entities = []
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        chat_type = "private" if chat_id is None or chat_id > 0 else "group"
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id or user_id, "type": chat_type},
            "from": {
                "id": user_id,
                "is_bot": False,
                "first_name": first_name,
                "language_code": language_code,
            },
            "text": text,
            "entities": entities,
        }

    def callback(
        self, data: str, user_id: int = 111, message_id: int = 1, first_name: str = "Ala"
    ) -> dict[str, Any]:
        return {
            "update_id": next(self._update_ids),
            "callback_query": {
                "id": str(next(self._update_ids)),
                "chat_instance": "ci",
                "data": data,
                "from": {"id": user_id, "is_bot": False, "first_name": first_name},
                "message": {
                    "message_id": message_id,
                    "date": int(time.time()),
                    "text": "…",
                    "chat": {"id": user_id, "type": "private"},
                    "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bot"},
                },
            },
        }

    def push_callback(self, data: str, user_id: int = 111) -> None:
        self._queue(self.callback(data, user_id))

    def _queue(self, update: dict[str, Any]) -> None:
        self.updates.append(update)
        self._new_update.set()

    # -- HTTP ------------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                _verb, target, _ = lines[0].split(" ", 2)
                headers = {
                    k.lower(): v.strip()
                    for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                method = urlsplit(target).path.rsplit("/", 1)[-1]
                if not urlsplit(target).path.startswith(f"/bot{TOKEN}/"):
                    data = b'{"ok": false, "error_code": 401, "description": "Unauthorized"}'
                    writer.write(
                        b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\n\r\n" % len(data) + data
                    )
                    await writer.drain()
                    continue
                if self.down == "drop" and method not in ("getUpdates", "getMe"):
                    return
                params = self._params(headers.get("content-type", ""), body)
                status, payload = await self._handle(method, params)
                data = json.dumps(payload).encode()
                writer.write(
                    b"HTTP/1.1 %d OK\r\nContent-Type: application/json\r\n"
                    b"Content-Length: %d\r\n\r\n" % (status, len(data)) + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    @staticmethod
    def _params(content_type: str, body: bytes) -> dict[str, Any]:
        if not body:
            return {}
        if content_type.startswith("application/json"):
            return dict(json.loads(body))
        if content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
            )
            result: dict[str, Any] = {}
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                filename = part.get_filename()
                result[str(name)] = (
                    {"filename": filename, "data": payload}
                    if filename
                    else payload.decode("utf-8")
                )
            return result
        return dict(parse_qsl(body.decode("utf-8")))

    async def _handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if method == "getUpdates":
            return 200, {"ok": True, "result": await self._get_updates(params)}
        if self.latency:
            await asyncio.sleep(self.latency)
        chat_id = int(params.get("chat_id", 0) or 0)
        refused = self._refuse_text(method, params)
        if refused:
            self.calls.append(Call("refused", {**params, "method": method}))
            return 400, {"ok": False, "error_code": 400, "description": refused}
        if method in ("sendMessage", "sendDocument"):
            if self.down == "500":
                return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
            if chat_id in self.blocked:
                return 403, {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                }
            if chat_id in self.flood:
                retry_after = self.flood.pop(chat_id)
                return 429, {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                }
            if self.fail_times.get(chat_id):
                self.fail_times[chat_id] -= 1
                return 500, {"ok": False, "error_code": 500, "description": "Internal error"}
            if self.on_send is not None:
                self.on_send(chat_id)
        self.calls.append(Call(method, params))
        self.new_call.set()
        return 200, {"ok": True, "result": self._result(method, params, chat_id)}

    @staticmethod
    def _refuse_text(method: str, params: dict[str, Any]) -> str | None:
        """What Telegram answers with a 400 for this text: bad HTML, or too long."""
        key = "caption" if method == "sendDocument" else "text"
        if method not in ("sendMessage", "editMessageText", "sendDocument") or key not in params:
            return None
        text = str(params[key])
        if str(params.get("parse_mode", "")).upper() == "HTML":
            problems = telegram_html.check(text)
            if problems:
                return f"Bad Request: can't parse entities: {problems[0]}"
            text = html.unescape(re.sub(r"<[^>]+>", "", text))
        limit = 1024 if key == "caption" else 4096
        if not text.strip():
            return "Bad Request: message text is empty"
        if len(text) > limit:
            return "Bad Request: message is too long"
        return None

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        timeout = float(params.get("timeout", 0) or 0)
        offset = int(params.get("offset", 0) or 0)
        if offset:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._new_update.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), max(timeout, 0.01))
        return [u for u in self.updates if u["update_id"] >= offset]

    def _result(self, method: str, params: dict[str, Any], chat_id: int) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Erasmus+ assistant",
                "username": "erasmus_test_bot",
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method in ("sendMessage", "editMessageText", "sendDocument"):
            message: dict[str, Any] = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": chat_id or 1, "type": "private" if chat_id >= 0 else "group"},
                "from": {"id": BOT_ID, "is_bot": True, "first_name": "Erasmus+ assistant"},
            }
            if "text" in params:
                message["text"] = params["text"]
            if method == "sendDocument":
                message["document"] = {
                    "file_id": "f1",
                    "file_unique_id": "u1",
                    "file_name": "file",
                }
            return message
        return True
