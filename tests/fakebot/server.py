"""A fake Telegram Bot API served over real HTTP, for driving the real python-telegram-bot.

Why a real server: PTB's request layer (httpx, form/multipart encoding, error mapping to
``BadRequest``/``RetryAfter``/...) is part of what the tests exercise, so nothing is mocked.
The server is stdlib only (``ThreadingHTTPServer``, HTTP/1.1 keep-alive, one thread per
connection). All state sits behind one ``threading.Condition`` so test helpers can block on
it (long polling, ``wait_for``) without sleep loops.

Rate limits (off by default):

* global: at most ``global_per_second`` accepted sends in any sliding 1 s window;
* per chat: token bucket refilled at ``per_chat_per_second`` with capacity ``per_chat_burst``.

Above either limit the call fails with 429 ``Too Many Requests: retry after N`` and
``parameters.retry_after = N`` (whole seconds, at least 1). Only successful calls use up
capacity. Limited methods are :data:`RATE_LIMITED_METHODS` (sends and edits).
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import itertools
import json
import math
import re
import socket
import sys
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from http.server import ThreadingHTTPServer
from socketserver import StreamRequestHandler
from types import TracebackType
from typing import Any
from urllib.parse import parse_qsl, unquote

from . import rules
from . import updates as upd
from .rules import ApiError, JsonDict, bad_request

DEFAULT_TOKEN = "123456:TEST-token"

JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "commands",
        "allowed_updates",
        "entities",
        "caption_entities",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
        "results",
        "menu_button",
        "permissions",
        "options",
        "explanation_entities",
        "reaction",
    }
)
INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "user_id",
        "duration",
        "reply_to_message_id",
        "from_chat_id",
        "message_thread_id",
        "cache_time",
        "width",
        "height",
        "max_connections",
    }
)
FLOAT_FIELDS = frozenset({"timeout"})
BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "show_alert",
        "drop_pending_updates",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "disable_content_type_detection",
        "has_spoiler",
        "allow_paid_broadcast",
        "supports_streaming",
    }
)

RATE_LIMITED_METHODS = frozenset(
    {
        "sendMessage",
        "sendVoice",
        "sendAudio",
        "sendDocument",
        "sendPhoto",
        "editMessageText",
        "editMessageReplyMarkup",
    }
)
_CHAT_METHODS = RATE_LIMITED_METHODS | {"deleteMessage", "sendChatAction"}
_DEFAULT_ALLOWED_EXCLUDED = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_QUERY_TOO_OLD = "query is too old and response timeout expired or query ID is invalid"
_MAX_DOWNLOAD_SIZE = 20 * 1024 * 1024
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass(frozen=True)
class UploadedFile:
    """A multipart file part as received (e.g. the ``voice`` of sendVoice)."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class Call:
    """One recorded request: decoded params, HTTP status, JSON response, monotonic time."""

    method: str
    params: JsonDict
    status: int
    response: JsonDict
    at: float

    @property
    def ok(self) -> bool:
        """True when Telegram would have answered ``"ok": true``."""
        return self.status == 200

    @property
    def result(self) -> Any:
        """The ``result`` of a successful call (None for failures)."""
        return self.response.get("result")

    @property
    def description(self) -> str:
        """The error description ('' for successful calls)."""
        return str(self.response.get("description", ""))

    @property
    def chat_id(self) -> Any:
        """The ``chat_id`` parameter, if any."""
        return self.params.get("chat_id")


@dataclass
class _Fault:
    method: str
    status: int
    description: str
    retry_after: int | None
    remaining: int
    chat_id: int | None


@dataclass
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    data: bytes
    mime_type: str | None
    file_name: str | None


@dataclass
class _CallbackQuery:
    created: float
    answer: JsonDict | None = None


class _Server(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its live connections so ``stop()`` can cut them."""

    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024  # the default 5 resets bursts of parallel connects

    def __init__(self, address: tuple[str, int], api: FakeBotApi) -> None:
        self.api = api
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet about clients that hang up (cancelled long polls); report anything else."""
        if isinstance(sys.exc_info()[1], OSError):
            return
        super().handle_error(request, client_address)


class _Handler(StreamRequestHandler):
    """Minimal HTTP/1.1 keep-alive loop; ``FakeBotApi.handle_request`` does the real work.

    Why not ``BaseHTTPRequestHandler``: its email-based header parsing was about half of the
    server's per-request CPU, and the server shares the GIL with the bot under test (measured
    in one process, 2 cores, httpx client: 1 connection 860 -> 960 req/s, 8 connections
    630 -> 780 req/s; httpx alone tops out near 1000-1100 req/s).
    """

    disable_nagle_algorithm = True
    wbufsize = -1  # buffered: status line, headers and body leave in one send()

    def setup(self) -> None:
        super().setup()
        server = self._server()
        with server.connections_lock:
            server.connections.add(self.connection)

    def finish(self) -> None:
        server = self._server()
        with server.connections_lock:
            server.connections.discard(self.connection)
        with contextlib.suppress(OSError):
            super().finish()

    def _server(self) -> _Server:
        server = self.server
        assert isinstance(server, _Server)
        return server

    def handle(self) -> None:
        api = self._server().api
        while self._handle_one(api):
            pass

    def _handle_one(self, api: FakeBotApi) -> bool:
        """Serve one request; return False when the connection should close."""
        rfile = self.rfile
        line = rfile.readline(65537)
        if not line:
            return False
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/"):
            self._write(400, "text/plain", b"Bad Request", close=True)
            return False
        http_method, target, version = parts
        headers: dict[str, str] = {}
        while True:
            header = rfile.readline(65537)
            if header in (b"\r\n", b"\n", b""):
                break
            name, _, value = header.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        connection = headers.get("connection", "").lower()
        close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
        if headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
            self.wfile.flush()
        body = self._read_body(headers)
        if http_method not in ("GET", "POST"):
            self._write(405, "text/plain", b"Method Not Allowed", close=close)
            return not close
        status, content_type, payload = api.handle_request(
            http_method, target, headers.get("content-type", ""), body
        )
        self._write(status, content_type, payload, close=close)
        return not close

    def _read_body(self, headers: dict[str, str]) -> bytes:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline(65537).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(headers.get("content-length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _write(self, status: int, content_type: str, payload: bytes, *, close: bool) -> None:
        head = (
            f"HTTP/1.1 {status} {_reason(status)}\r\n"
            f"Server: FakeTelegramBotAPI\r\n"
            f"Content-Type: {content_type}\r\n"
            f"Content-Length: {len(payload)}\r\n" + ("Connection: close\r\n" if close else "") + "\r\n"
        )
        self.wfile.write(head.encode("latin-1") + payload)
        self.wfile.flush()


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def _to_number(value: str) -> int | float | str:
    try:
        return int(value)
    except ValueError:
        try:
            return float(value)
        except ValueError:
            return value


def _disposition_param(header: str, name: str) -> str | None:
    match = re.search(rf'(?:^|;)\s*{name}\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))', header, re.IGNORECASE)
    if match is None:
        return None
    if match.group(1) is not None:
        return (
            match.group(1).replace('\\"', '"').replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")
        )
    return match.group(2).strip()


def parse_multipart(body: bytes, boundary: str) -> JsonDict:
    """Split multipart/form-data: text parts become str, parts with a filename UploadedFile."""
    delimiter = b"\r\n--" + boundary.encode("latin-1")
    result: JsonDict = {}
    for part in (b"\r\n" + body).split(delimiter)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep:
            continue
        headers: dict[str, str] = {}
        for line in head.split(b"\r\n"):
            key, _, value = line.decode("utf-8", "replace").partition(":")
            if key.strip():
                headers[key.strip().lower()] = value.strip()
        disposition = headers.get("content-disposition", "")
        name = _disposition_param(disposition, "name")
        if name is None:
            continue
        filename = _disposition_param(disposition, "filename")
        if filename is None:
            result[name] = content.decode("utf-8", "replace")
        else:
            content_type = headers.get("content-type", "application/octet-stream")
            result[name] = UploadedFile(name, filename, content_type, content)
    return result


def parse_body(content_type: str, body: bytes, query: str = "") -> JsonDict:
    """Raw parameters from a query string plus a urlencoded, multipart or JSON body."""
    params: JsonDict = dict(parse_qsl(query, keep_blank_values=True)) if query else {}
    if not body:
        return params
    media_type, _, options = content_type.partition(";")
    media_type = media_type.strip().lower()
    if media_type == "application/json":
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise bad_request("can't parse JSON object") from exc
        if not isinstance(data, dict):
            raise bad_request("can't parse JSON object")
        params.update(data)
    elif media_type == "multipart/form-data":
        match = re.search(r'boundary="?([^";]+)"?', options)
        if match is None:
            raise bad_request("can't parse multipart body: boundary is missing")
        params.update(parse_multipart(body, match.group(1)))
    else:
        params.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return params


def decode_params(raw: JsonDict) -> JsonDict:
    """Undo PTB's form encoding: JSON-in-strings for complex fields, numbers and booleans."""
    params: JsonDict = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in JSON_FIELDS:
                try:
                    value = json.loads(value)
                except ValueError as exc:
                    what = "reply keyboard markup" if key == "reply_markup" else key
                    raise bad_request(f"can't parse {what} JSON object") from exc
            elif key in INT_FIELDS:
                value = int(value) if re.fullmatch(r"-?\d+", value) else value
            elif key in FLOAT_FIELDS:
                value = _to_number(value)
            elif key in BOOL_FIELDS:
                value = value.lower() in ("true", "1")
        params[key] = value
    return params


class FakeBotApi:
    """A Telegram Bot API stand-in on ``127.0.0.1:<random port>``; see the module docstring."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "hamcoach_test_bot",
        bot_first_name: str = "HamCoach",
        port: int = 0,
        strict_html: bool = True,
        delay: float = 0.0,
        global_per_second: int | None = None,
        per_chat_per_second: float | None = None,
        per_chat_burst: int = 1,
        callback_query_ttl: float | None = None,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.strict_html = strict_html
        self.callback_query_ttl = callback_query_ttl
        self._port = port
        self._cond = threading.Condition(threading.RLock())
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._methods: dict[str, tuple[str, Callable[[JsonDict], Any]]] = {
            name.lower(): (name, func)
            for name, func in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "deleteWebhook": self._delete_webhook,
                "setWebhook": self._set_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "logOut": self._true,
                "close": self._true,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
                "setMyDescription": lambda p: self._set_description(p, "description"),
                "getMyDescription": lambda p: self._get_description(p, "description"),
                "setMyShortDescription": lambda p: self._set_description(p, "short_description"),
                "getMyShortDescription": lambda p: self._get_description(p, "short_description"),
                "sendMessage": self._send_message,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "answerCallbackQuery": self._answer_callback_query,
                "sendChatAction": self._send_chat_action,
                "sendVoice": lambda p: self._send_media(p, "voice"),
                "sendAudio": lambda p: self._send_media(p, "audio"),
                "sendDocument": lambda p: self._send_media(p, "document"),
                "sendPhoto": lambda p: self._send_media(p, "photo"),
                "getFile": self._get_file,
            }.items()
        }
        self._global_per_second = global_per_second
        self._per_chat_per_second = per_chat_per_second
        self._per_chat_burst = per_chat_burst
        self._delays: dict[str | None, float] = {None: delay} if delay else {}
        self.reset()

    # ----------------------------------------------------------------- lifecycle

    def reset(self) -> None:
        """Forget all state (calls, chats, updates, faults, files, limits' history)."""
        with self._cond:
            self._calls: list[Call] = []
            self._users: dict[int, JsonDict] = {}
            self._chats: dict[int, JsonDict] = {}
            self._messages: dict[int, dict[int, JsonDict]] = {}
            self._next_message_id: dict[int, int] = {}
            self._sent_order: list[tuple[int, int]] = []
            self._updates: list[JsonDict] = []
            self._update_ids = itertools.count(100_000_001)
            self._query_ids = itertools.count(4_000_000_000_000_001)
            self._file_ids = itertools.count(1)
            self._allowed_updates: list[str] | None = None
            self._poll_generation = 0
            self._webhook: JsonDict | None = None
            self._commands: dict[tuple[str, str], list[JsonDict]] = {}
            self._descriptions: dict[tuple[str, str], str] = {}
            self._callback_queries: dict[str, _CallbackQuery] = {}
            self._files: dict[str, _StoredFile] = {}
            self._files_by_path: dict[str, _StoredFile] = {}
            self._faults: list[_Fault] = []
            self._blocked: set[int] = set()
            self._not_found: set[int] = set()
            self._global_window: deque[float] = deque()
            self._buckets: dict[int, tuple[float, float]] = {}
            self._cond.notify_all()

    def start(self) -> FakeBotApi:
        """Bind 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._server is not None:
            return self
        self._stopping = False
        self._server = _Server(("127.0.0.1", self._port), self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fakebot", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Release long polls, cut keep-alive connections, close the socket."""
        server, self._server = self._server, None
        if server is None:
            return
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        server.shutdown()
        with server.connections_lock:
            connections = list(server.connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeBotApi:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port (server must be started)."""
        if self._server is None:
            raise RuntimeError("FakeBotApi is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """Pass to ``Bot(base_url=...)``/``ApplicationBuilder().base_url(...)``."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass to ``Bot(base_file_url=...)``/``ApplicationBuilder().base_file_url(...)``."""
        return f"http://127.0.0.1:{self.port}/file/bot"

    # ----------------------------------------------------------------- configuration

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` ("*" = any) fail with this error.

        ``description`` defaults to Telegram's usual text for the status; a 429 without
        ``retry_after`` gets ``retry_after=1`` (Telegram always sends it).
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = (
                f"Too Many Requests: retry after {retry_after}"
                if status == 429
                else _DEFAULT_DESCRIPTIONS.get(status, "Internal Server Error")
            )
        with self._cond:
            self._faults.append(_Fault(method, status, description, retry_after, times, chat_id))

    def block(self, chat_id: int) -> None:
        """The user blocked the bot: sends to this chat get 403."""
        with self._cond:
            self._blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo :meth:`block`."""
        with self._cond:
            self._blocked.discard(chat_id)

    def mark_chat_not_found(self, chat_id: int) -> None:
        """Sends to this chat get 400 "chat not found"."""
        with self._cond:
            self._not_found.add(chat_id)

    def set_delay(self, seconds: float, method: str | None = None) -> None:
        """Simulated latency before answering (all methods, or one method)."""
        with self._cond:
            self._delays[method] = seconds

    def set_rate_limits(
        self,
        *,
        global_per_second: int | None = None,
        per_chat_per_second: float | None = None,
        per_chat_burst: int = 1,
    ) -> None:
        """Switch flood limits on (None = off); see the module docstring for the algorithms."""
        with self._cond:
            self._global_per_second = global_per_second
            self._per_chat_per_second = per_chat_per_second
            self._per_chat_burst = per_chat_burst
            self._global_window.clear()
            self._buckets.clear()

    # ----------------------------------------------------------------- inspection

    @property
    def calls(self) -> list[Call]:
        """A snapshot of every request so far, in arrival order."""
        with self._cond:
            return list(self._calls)

    def calls_of(self, method: str, *, chat_id: int | None = None) -> list[Call]:
        """Recorded calls of one method (optionally for one chat)."""
        with self._cond:
            return [
                call
                for call in self._calls
                if call.method == method and (chat_id is None or call.params.get("chat_id") == chat_id)
            ]

    def mark(self) -> int:
        """Current number of calls: pass as ``since=`` to wait only for later calls."""
        with self._cond:
            return len(self._calls)

    def count(self, method: str | None = None, *, status: int | None = None) -> int:
        """How many calls matched (e.g. ``count(status=429)`` counts flood errors)."""
        with self._cond:
            return sum(
                1
                for call in self._calls
                if (method is None or call.method == method) and (status is None or call.status == status)
            )

    def status_counts(self) -> Counter[int]:
        """HTTP statuses returned so far."""
        with self._cond:
            return Counter(call.status for call in self._calls)

    def sent_messages(self, chat_id: int | None = None) -> list[JsonDict]:
        """The bot's messages still present (edits applied, deletions removed), in send order."""
        with self._cond:
            return copy.deepcopy(self._bot_messages(chat_id))

    def chat_history(self, chat_id: int) -> list[JsonDict]:
        """All messages (user's and bot's) still present in a chat, by message_id."""
        with self._cond:
            return copy.deepcopy(list(self._messages.get(chat_id, {}).values()))

    def commands(self, scope: JsonDict | None = None, language_code: str = "") -> list[JsonDict]:
        """Commands stored by setMyCommands for a scope/language."""
        with self._cond:
            return copy.deepcopy(self._commands.get(self._commands_key(scope, language_code), []))

    def description(self, language_code: str = "", *, short: bool = False) -> str:
        """Text stored by setMyDescription / setMyShortDescription."""
        with self._cond:
            return self._descriptions.get(
                ("short_description" if short else "description", language_code), ""
            )

    def callback_answer(self, query_id: str) -> JsonDict | None:
        """The answerCallbackQuery params for a query, or None while unanswered."""
        with self._cond:
            query = self._callback_queries.get(query_id)
            return None if query is None else query.answer

    @property
    def pending_updates(self) -> int:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        with self._cond:
            return len(self._updates)

    @property
    def webhook_url(self) -> str:
        """The URL set by setWebhook ('' if none)."""
        with self._cond:
            return "" if self._webhook is None else str(self._webhook["url"])

    def wait_for(self, predicate: Callable[[Call], bool], timeout: float = 5.0, *, since: int = 0) -> Call:
        """Block until a call (index >= ``since``) matches; raise TimeoutError otherwise.

        Blocks the calling thread: from async tests use :meth:`wait_for_async`.
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            index = since
            while True:
                while index < len(self._calls):
                    call = self._calls[index]
                    index += 1
                    if predicate(call):
                        return call
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    recent = ", ".join(f"{c.method}->{c.status}" for c in self._calls[-10:])
                    raise TimeoutError(f"no matching call within {timeout}s; last calls: [{recent}]")
                self._cond.wait(remaining)

    def wait_for_messages(self, chat_id: int, count: int, timeout: float = 5.0) -> list[JsonDict]:
        """Block until the bot has at least ``count`` messages in the chat; return them."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                messages = self._bot_messages(chat_id)
                if len(messages) >= count:
                    return copy.deepcopy(messages)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    texts = [m.get("text", m.get("caption")) for m in messages]
                    raise TimeoutError(f"chat {chat_id}: wanted {count} bot messages, have {texts!r}")
                self._cond.wait(remaining)

    async def wait_for_async(
        self, predicate: Callable[[Call], bool], timeout: float = 5.0, *, since: int = 0
    ) -> Call:
        """:meth:`wait_for` in a worker thread so the event loop (and the bot) keeps running."""
        return await asyncio.to_thread(self.wait_for, predicate, timeout, since=since)

    async def wait_for_messages_async(self, chat_id: int, count: int, timeout: float = 5.0) -> list[JsonDict]:
        """:meth:`wait_for_messages` without blocking the event loop."""
        return await asyncio.to_thread(self.wait_for_messages, chat_id, count, timeout)

    # ----------------------------------------------------------------- files

    def add_file(
        self,
        data: bytes,
        *,
        kind: str = "documents",
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> JsonDict:
        """Register bytes so getFile + the download URL serve them; returns the File object."""
        with self._cond:
            number = next(self._file_ids)
            extension = ""
            if file_name and "." in file_name:
                extension = file_name.rsplit(".", 1)[1]
            elif mime_type:
                extension = mime_type.rsplit("/", 1)[-1].split(";")[0].replace("mpeg", "mp3")
            path = f"{kind}/file_{number}" + (f".{extension}" if extension else "")
            stored = _StoredFile(
                file_id=f"BQACAgIAAx{number:08d}FakeFileId",
                file_unique_id=f"AgAD{number:08d}",
                file_path=path,
                data=data,
                mime_type=mime_type,
                file_name=file_name,
            )
            self._files[stored.file_id] = stored
            self._files_by_path[path] = stored
            return self._file_object(stored)

    def file_bytes(self, file_id: str) -> bytes:
        """The bytes behind a file_id (e.g. what the bot uploaded with sendVoice)."""
        with self._cond:
            return self._files[file_id].data

    @staticmethod
    def _file_object(stored: _StoredFile) -> JsonDict:
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    # ----------------------------------------------------------------- user side

    def add_user(
        self,
        user_id: int,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> JsonDict:
        """Define how a user looks in updates (otherwise "User<id>", language "en")."""
        with self._cond:
            user = upd.user_dict(
                user_id,
                first_name=first_name,
                last_name=last_name,
                username=username,
                language_code=language_code,
            )
            self._users[user_id] = user
            self._chats[user_id] = upd.private_chat_dict(user)
            return dict(user)

    def make_update_text(
        self,
        user_id: int,
        text: str,
        *,
        entities: list[JsonDict] | None = None,
        chat_id: int | None = None,
    ) -> JsonDict:
        """A ``message`` update with text (bot_command entities detected like Telegram); `chat_id`
        (negative) sends it in a group instead of the private chat."""
        with self._cond:
            if entities is None:
                entities = rules.bot_command_entities(text)
            message = self._store_user_message(user_id, text=text, entities=entities, chat_id=chat_id)
            return upd.update_dict(next(self._update_ids), "message", message)

    def make_update_command(self, user_id: int, command: str, args: str = "") -> JsonDict:
        """A ``message`` update ``/command args`` with its bot_command entity."""
        command = command if command.startswith("/") else f"/{command}"
        text = f"{command} {args}".strip() if args else command
        return self.make_update_text(user_id, text)

    def make_update_callback_query(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        check_button: bool = True,
    ) -> JsonDict:
        """A ``callback_query`` update for pressing a button under a bot message.

        With ``check_button`` the message must currently carry a button with that data,
        which catches tests pressing buttons the bot never showed.
        """
        with self._cond:
            chat = user_id if chat_id is None else chat_id
            message = self._messages.get(chat, {}).get(message_id)
            if message is None:
                raise ValueError(f"chat {chat} has no message {message_id}")
            if check_button:
                rows = message.get("reply_markup", {}).get("inline_keyboard", [])
                datas = [button.get("callback_data") for row in rows for button in row]
                if callback_data not in datas:
                    raise ValueError(
                        f"message {message_id} has no button {callback_data!r}; buttons: {datas!r}"
                    )
            query_id = str(next(self._query_ids))
            self._callback_queries[query_id] = _CallbackQuery(created=time.monotonic())
            query = upd.callback_query_dict(
                query_id, self._user(user_id), message, callback_data, str(-(abs(chat) * 7919 + 17))
            )
            return upd.update_dict(next(self._update_ids), "callback_query", query)

    def make_update_edited_message(self, user_id: int, message_id: int, new_text: str) -> JsonDict:
        """An ``edited_message`` update: the user changed one of their text messages."""
        with self._cond:
            old = self._messages.get(user_id, {}).get(message_id)
            if old is None or old["from"]["id"] != user_id:
                raise ValueError(f"user {user_id} has no message {message_id}")
            new = {k: v for k, v in old.items() if k != "entities"}
            new["text"] = new_text
            entities = rules.bot_command_entities(new_text)
            if entities:
                new["entities"] = entities
            new["edit_date"] = upd.now()
            self._messages[user_id][message_id] = new
            return upd.update_dict(next(self._update_ids), "edited_message", new)

    def make_update_sticker(
        self, user_id: int, *, emoji: str = "👍", set_name: str = "HamCoachTest"
    ) -> JsonDict:
        """A ``message`` update carrying a sticker."""
        with self._cond:
            file = self.add_file(b"RIFF\x00\x00\x00\x00WEBPfake", kind="stickers", mime_type="image/webp")
            sticker = {
                "file_id": file["file_id"],
                "file_unique_id": file["file_unique_id"],
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": emoji,
                "set_name": set_name,
                "file_size": file["file_size"],
            }
            message = self._store_user_message(user_id, sticker=sticker)
            return upd.update_dict(next(self._update_ids), "message", message)

    def make_update_photo(
        self,
        user_id: int,
        data: bytes = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9",
        *,
        caption: str | None = None,
        width: int = 1280,
        height: int = 960,
    ) -> JsonDict:
        """A ``message`` update with a photo (two PhotoSizes, like Telegram's thumbnails)."""
        with self._cond:
            big = self.add_file(data, kind="photos", mime_type="image/jpeg")
            small = self.add_file(data, kind="photos", mime_type="image/jpeg")
            photo = [
                {**_size(small), "width": max(1, width // 4), "height": max(1, height // 4)},
                {**_size(big), "width": width, "height": height},
            ]
            message = self._store_user_message(user_id, photo=photo, caption=caption)
            return upd.update_dict(next(self._update_ids), "message", message)

    def make_update_voice(
        self, user_id: int, data: bytes, duration: int, *, mime_type: str = "audio/ogg"
    ) -> JsonDict:
        """A ``message`` update with a voice note; the bytes are downloadable via getFile."""
        with self._cond:
            file = self.add_file(data, kind="voice", mime_type=mime_type)
            voice = {**_size(file), "duration": duration, "mime_type": mime_type}
            message = self._store_user_message(user_id, voice=voice)
            return upd.update_dict(next(self._update_ids), "message", message)

    def next_update_id(self) -> int:
        """An update id after every one so far, for updates built by hand (tests/fakebot/updates.py)."""
        with self._cond:
            return next(self._update_ids)

    def queue_update(self, update: JsonDict) -> JsonDict:
        """Queue an update for getUpdates and wake long polls."""
        with self._cond:
            self._updates.append(update)
            self._updates.sort(key=lambda u: int(u["update_id"]))
            self._cond.notify_all()
            return update

    def user_sends_text(self, user_id: int, text: str, *, chat_id: int | None = None) -> JsonDict:
        """Queue a text message from the user (in group `chat_id` if given); returns the Update dict."""
        return self.queue_update(self.make_update_text(user_id, text, chat_id=chat_id))

    def user_sends_command(self, user_id: int, command: str, args: str = "") -> JsonDict:
        """Queue ``/command args`` from the user; returns the Update dict."""
        return self.queue_update(self.make_update_command(user_id, command, args))

    def user_presses(
        self, user_id: int, message_id: int, callback_data: str, *, check_button: bool = True
    ) -> str:
        """Queue a button press; returns the callback_query id to answer."""
        update = self.queue_update(
            self.make_update_callback_query(user_id, message_id, callback_data, check_button=check_button)
        )
        return str(update["callback_query"]["id"])

    def user_edits_message(self, user_id: int, message_id: int, new_text: str) -> JsonDict:
        """Queue an ``edited_message`` update."""
        return self.queue_update(self.make_update_edited_message(user_id, message_id, new_text))

    def user_sends_sticker(self, user_id: int, *, emoji: str = "👍") -> JsonDict:
        """Queue a sticker message."""
        return self.queue_update(self.make_update_sticker(user_id, emoji=emoji))

    def user_sends_photo(
        self, user_id: int, data: bytes = b"\xff\xd8\xff\xe0fake-jpeg\xff\xd9", *, caption: str | None = None
    ) -> JsonDict:
        """Queue a photo message."""
        return self.queue_update(self.make_update_photo(user_id, data, caption=caption))

    def user_sends_voice(self, user_id: int, ogg_bytes: bytes, duration: int) -> JsonDict:
        """Queue a voice message; getFile + download return ``ogg_bytes``."""
        return self.queue_update(self.make_update_voice(user_id, ogg_bytes, duration))

    # ----------------------------------------------------------------- request handling

    def handle_request(
        self, http_method: str, raw_path: str, content_type: str, body: bytes
    ) -> tuple[int, str, bytes]:
        """Answer one HTTP request: (status, content type, body). Independent of the socket layer."""
        path, _, query = raw_path.partition("?")
        path = unquote(path)  # PTB percent-encodes file URLs (":" in the token becomes %3A)
        if path.startswith("/file/bot"):
            return self._download(path[len("/file/bot") :])
        if not path.startswith("/bot"):
            return self._finish("", {}, ApiError(404, "Not Found"))
        token, _, method_name = path[len("/bot") :].partition("/")
        if token != self.token:
            return self._finish(method_name, {}, ApiError(401, "Unauthorized"))
        entry = self._methods.get(method_name.lower())
        if entry is None:
            return self._finish(method_name, {}, ApiError(404, "Not Found"))
        method, func = entry
        raw: JsonDict = {}
        try:
            raw = parse_body(content_type, body, query)
            params = decode_params(raw)
        except ApiError as err:
            return self._finish(method, raw, err)
        delay = self._delays.get(method, self._delays.get(None, 0.0))
        if delay > 0:
            time.sleep(delay)
        with self._cond:
            outcome: Any
            try:
                fault = self._take_fault(method, params)
                if fault is not None:
                    raise fault
                limited = False
                if method in _CHAT_METHODS and "chat_id" in params:
                    self._check_chat(params["chat_id"])
                    limited = method in RATE_LIMITED_METHODS
                    if limited:
                        self._check_rate(params["chat_id"])
                outcome = func(params)
                if limited:
                    self._consume_rate(params["chat_id"])
            except ApiError as err:
                outcome = err
            except Exception as exc:  # a bug in the fake or a wildly wrong request: still answer
                outcome = ApiError(500, f"Internal Server Error: {type(exc).__name__}: {exc}")
            return self._finish(method, params, outcome)

    def _finish(self, method: str, params: JsonDict, outcome: Any) -> tuple[int, str, bytes]:
        if isinstance(outcome, ApiError):
            status, response = outcome.status, outcome.payload()
        else:
            status, response = 200, {"ok": True, "result": outcome}
        with self._cond:
            self._calls.append(Call(method, params, status, response, time.monotonic()))
            self._cond.notify_all()
        payload = json.dumps(response, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return status, "application/json", payload

    def _download(self, rest: str) -> tuple[int, str, bytes]:
        token, _, file_path = rest.partition("/")
        with self._cond:
            stored = self._files_by_path.get(file_path) if token == self.token else None
            status = 200 if stored is not None else 404
            self._calls.append(
                Call(
                    "downloadFile", {"file_path": file_path}, status, {"ok": status == 200}, time.monotonic()
                )
            )
            self._cond.notify_all()
        if stored is None:
            return 404, "application/json", b'{"ok":false,"error_code":404,"description":"Not Found"}'
        return 200, stored.mime_type or "application/octet-stream", stored.data

    def _take_fault(self, method: str, params: JsonDict) -> ApiError | None:
        for fault in self._faults:
            if fault.method not in (method, "*"):
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            return ApiError(fault.status, fault.description, retry_after=fault.retry_after)
        return None

    def _check_chat(self, chat_id: Any) -> None:
        if not isinstance(chat_id, int) or chat_id in self._not_found:
            raise bad_request("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")

    def _check_rate(self, chat_id: int) -> None:
        now = time.monotonic()
        waits: list[float] = []
        if self._global_per_second is not None:
            window = self._global_window
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= self._global_per_second:
                waits.append(window[0] + 1.0 - now)
        rate = self._per_chat_per_second
        if rate is not None:
            tokens, last = self._buckets.get(chat_id, (float(self._per_chat_burst), now))
            tokens = min(float(self._per_chat_burst), tokens + (now - last) * rate)
            self._buckets[chat_id] = (tokens, now)
            if tokens < 1.0:
                waits.append((1.0 - tokens) / rate)
        if waits:
            retry_after = max(1, math.ceil(max(waits)))
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)

    def _consume_rate(self, chat_id: int) -> None:
        if self._global_per_second is not None:
            self._global_window.append(time.monotonic())
        if self._per_chat_per_second is not None:
            tokens, last = self._buckets[chat_id]
            self._buckets[chat_id] = (tokens - 1.0, last)

    # ----------------------------------------------------------------- state helpers

    @property
    def _bot_user(self) -> JsonDict:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    def _user(self, user_id: int) -> JsonDict:
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = upd.user_dict(user_id)
        return user

    def _chat(self, chat_id: int) -> JsonDict:
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = upd.private_chat_dict(self._user(chat_id)) if chat_id > 0 else upd.group_chat_dict(chat_id)
            self._chats[chat_id] = chat
        return chat

    def _new_message_id(self, chat_id: int) -> int:
        number = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = number
        return number

    def _store_user_message(self, user_id: int, chat_id: int | None = None, **content: Any) -> JsonDict:
        chat = user_id if chat_id is None else chat_id
        message_id = self._new_message_id(chat)
        message = upd.message_dict(
            message_id=message_id, chat=self._chat(chat), sender=self._user(user_id), **content
        )
        self._messages.setdefault(chat, {})[message_id] = message
        return message

    def _store_bot_message(self, chat_id: int, **content: Any) -> JsonDict:
        message_id = self._new_message_id(chat_id)
        message = upd.message_dict(
            message_id=message_id, chat=self._chat(chat_id), sender=self._bot_user, **content
        )
        self._messages.setdefault(chat_id, {})[message_id] = message
        self._sent_order.append((chat_id, message_id))
        return message

    def _bot_messages(self, chat_id: int | None) -> list[JsonDict]:
        result: list[JsonDict] = []
        for chat, message_id in self._sent_order:
            if chat_id is not None and chat != chat_id:
                continue
            message = self._messages.get(chat, {}).get(message_id)
            if message is not None:
                result.append(message)
        return result

    def _find_message(self, params: JsonDict, missing: str) -> tuple[int, int, JsonDict]:
        if "chat_id" not in params:
            if "inline_message_id" in params:
                raise bad_request("MESSAGE_ID_INVALID")
            raise bad_request("chat_id is empty")
        chat_id = params["chat_id"]
        message_id = params.get("message_id")
        if not isinstance(message_id, int):
            raise bad_request("message identifier is not specified")
        message = self._messages.get(chat_id, {}).get(message_id)
        if message is None:
            raise bad_request(missing)
        return chat_id, message_id, message

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), str(language_code or "")

    def _inline_markup(self, params: JsonDict) -> JsonDict | None:
        """Validate reply_markup; return it if it is an inline keyboard (what Message carries)."""
        if "reply_markup" not in params:
            return None
        markup = params["reply_markup"]
        rules.validate_reply_markup(markup)
        return markup if "inline_keyboard" in markup else None

    def _reply_to(self, chat_id: int, params: JsonDict) -> JsonDict | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            target, allow = reply.get("message_id"), bool(reply.get("allow_sending_without_reply"))
        elif "reply_to_message_id" in params:
            target, allow = params["reply_to_message_id"], bool(params.get("allow_sending_without_reply"))
        else:
            return None
        message = self._messages.get(chat_id, {}).get(target) if isinstance(target, int) else None
        if message is None:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return {k: v for k, v in message.items() if k != "reply_to_message"}

    def _text_and_entities(
        self, params: JsonDict, field: str, *, caption: bool
    ) -> tuple[str, list[JsonDict]]:
        limit = rules.MAX_CAPTION_LENGTH if caption else rules.MAX_MESSAGE_LENGTH
        text, entities = rules.check_text(
            params.get(field), params.get("parse_mode"), strict=self.strict_html, limit=limit, caption=caption
        )
        explicit = params.get("caption_entities" if caption else "entities")
        if isinstance(explicit, list) and not params.get("parse_mode"):
            entities = explicit
        return text, entities

    # ----------------------------------------------------------------- Bot API methods

    def _true(self, params: JsonDict) -> bool:
        return True

    def _get_me(self, params: JsonDict) -> JsonDict:
        return {
            **self._bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: JsonDict) -> list[JsonDict]:
        """Long polling: confirm < offset, filter allowed_updates, wait up to ``timeout``."""
        if self._webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = params.get("offset")
        limit = params.get("limit", 100)
        limit = min(max(limit if isinstance(limit, int) else 100, 1), 100)
        timeout = params.get("timeout", 0)
        timeout = max(float(timeout), 0.0) if isinstance(timeout, (int, float)) else 0.0
        if "allowed_updates" in params and isinstance(params["allowed_updates"], list):
            self._allowed_updates = [str(kind) for kind in params["allowed_updates"]] or None
        self._poll_generation += 1
        generation = self._poll_generation
        self._cond.notify_all()  # an older long poll ends with 409, as on Telegram
        if isinstance(offset, int) and offset != 0:
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            else:
                self._updates = self._updates[offset:]
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            batch = self._deliverable(limit)
            if batch or self._stopping:
                return batch
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return []
            self._cond.wait(remaining)

    def _deliverable(self, limit: int) -> list[JsonDict]:
        """Queued updates the bot asked for; others are dropped (Telegram never creates them)."""
        allowed = self._allowed_updates

        def wanted(update: JsonDict) -> bool:
            kind = upd.update_kind(update)
            return kind in allowed if allowed is not None else kind not in _DEFAULT_ALLOWED_EXCLUDED

        self._updates = [u for u in self._updates if wanted(u)]
        return self._updates[:limit]

    def _delete_webhook(self, params: JsonDict) -> bool:
        self._webhook = None
        if params.get("drop_pending_updates"):
            self._updates = []
        return True

    def _set_webhook(self, params: JsonDict) -> bool:
        url = str(params.get("url", ""))
        if not url:
            return self._delete_webhook(params)
        if not url.startswith("https://"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self._updates = []
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = params["allowed_updates"] or None
        self._webhook = {"url": url, "max_connections": params.get("max_connections", 40)}
        return True

    def _get_webhook_info(self, params: JsonDict) -> JsonDict:
        info: JsonDict = {
            "url": "" if self._webhook is None else self._webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook["max_connections"]
            if self._allowed_updates is not None:
                info["allowed_updates"] = list(self._allowed_updates)
        return info

    def _set_my_commands(self, params: JsonDict) -> bool:
        commands = rules.validate_commands(params.get("commands"))
        self._commands[self._commands_key(params.get("scope"), params.get("language_code"))] = commands
        return True

    def _get_my_commands(self, params: JsonDict) -> list[JsonDict]:
        return list(
            self._commands.get(self._commands_key(params.get("scope"), params.get("language_code")), [])
        )

    def _delete_my_commands(self, params: JsonDict) -> bool:
        self._commands.pop(self._commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    def _set_description(self, params: JsonDict, field: str) -> bool:
        short = field == "short_description"
        text = str(params.get(field, ""))
        limit = rules.MAX_BOT_SHORT_DESCRIPTION_LENGTH if short else rules.MAX_BOT_DESCRIPTION_LENGTH
        if len(text) > limit:
            raise bad_request("BOT_ABOUT_INVALID" if short else "BOT_DESCRIPTION_INVALID")
        self._descriptions[(field, str(params.get("language_code") or ""))] = text
        return True

    def _get_description(self, params: JsonDict, field: str) -> JsonDict:
        return {field: self._descriptions.get((field, str(params.get("language_code") or "")), "")}

    def _send_message(self, params: JsonDict) -> JsonDict:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise bad_request("chat_id is empty")
        text, entities = self._text_and_entities(params, "text", caption=False)
        markup = self._inline_markup(params)
        reply = self._reply_to(chat_id, params)
        return self._store_bot_message(
            chat_id, text=text, entities=entities, reply_markup=markup, reply_to_message=reply
        )

    def _edit_message_text(self, params: JsonDict) -> JsonDict:
        chat_id, message_id, old = self._find_message(params, "message to edit not found")
        if old["from"]["id"] != self.bot_id:
            raise bad_request("message can't be edited")
        if "text" not in old:
            raise bad_request("there is no text in the message to edit")
        text, entities = self._text_and_entities(params, "text", caption=False)
        markup = self._inline_markup(params)
        if text == old["text"] and entities == old.get("entities", []) and markup == old.get("reply_markup"):
            raise bad_request(rules.NOT_MODIFIED.removeprefix("Bad Request: "))
        new = {k: v for k, v in old.items() if k not in ("entities", "reply_markup", "edit_date")}
        new["text"] = text
        if entities:
            new["entities"] = entities
        if markup is not None:
            new["reply_markup"] = markup
        new["edit_date"] = upd.now()
        self._messages[chat_id][message_id] = new
        return new

    def _edit_message_reply_markup(self, params: JsonDict) -> JsonDict:
        chat_id, message_id, old = self._find_message(params, "message to edit not found")
        if old["from"]["id"] != self.bot_id:
            raise bad_request("message can't be edited")
        markup = self._inline_markup(params)
        if markup == old.get("reply_markup"):
            raise bad_request(rules.NOT_MODIFIED.removeprefix("Bad Request: "))
        new = {k: v for k, v in old.items() if k not in ("reply_markup", "edit_date")}
        if markup is not None:
            new["reply_markup"] = markup
        new["edit_date"] = upd.now()
        self._messages[chat_id][message_id] = new
        return new

    def _delete_message(self, params: JsonDict) -> bool:
        chat_id, message_id, _ = self._find_message(params, "message to delete not found")
        del self._messages[chat_id][message_id]
        return True

    def _answer_callback_query(self, params: JsonDict) -> bool:
        query = self._callback_queries.get(str(params.get("callback_query_id", "")))
        if query is None or query.answer is not None:
            raise bad_request(_QUERY_TOO_OLD)
        if self.callback_query_ttl is not None and time.monotonic() - query.created > self.callback_query_ttl:
            raise bad_request(_QUERY_TOO_OLD)
        text = params.get("text")
        if isinstance(text, str) and len(text) > rules.MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        query.answer = dict(params)
        return True

    def _send_chat_action(self, params: JsonDict) -> bool:
        if params.get("action") not in rules.CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _send_media(self, params: JsonDict, kind: str) -> JsonDict:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise bad_request("chat_id is empty")
        stored = self._media_file(params.get(kind), kind)
        caption, caption_entities = self._text_and_entities(params, "caption", caption=True)
        markup = self._inline_markup(params)
        reply = self._reply_to(chat_id, params)
        base: JsonDict = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
        }
        media: Any
        if kind == "photo":
            media = self._photo_sizes(stored, base)
        else:
            if len(stored.data) > rules.MAX_UPLOAD_BYTES:
                raise bad_request("Request Entity Too Large")
            media = dict(base)
            if stored.mime_type:
                media["mime_type"] = stored.mime_type
            if kind in ("voice", "audio"):
                duration = params.get("duration", 0)
                media["duration"] = duration if isinstance(duration, int) else 0
            if kind in ("audio", "document") and stored.file_name:
                media["file_name"] = stored.file_name
            if kind == "audio":
                for key in ("title", "performer"):
                    if key in params:
                        media[key] = params[key]
        return self._store_bot_message(
            chat_id,
            caption=caption or None,
            caption_entities=caption_entities or None,
            reply_markup=markup,
            reply_to_message=reply,
            **{kind: media},
        )

    @staticmethod
    def _photo_sizes(stored: _StoredFile, base: JsonDict) -> list[JsonDict]:
        """Telegram's rules for sendPhoto: a real picture, at most 10 MB, sides adding up to at most
        10000 pixels, at most 20 times as wide as high; then its PhotoSizes (the original last)."""
        if len(stored.data) > rules.MAX_PHOTO_BYTES:
            raise bad_request("PHOTO_SAVE_FILE_INVALID")
        size = rules.image_size(stored.data) if stored.data else (800, 600)  # a file_id sent before
        if size is None:
            raise bad_request("IMAGE_PROCESS_FAILED")
        width, height = size
        ratio = max(width, height) / max(1, min(width, height))
        if width + height > rules.MAX_PHOTO_SIDES or ratio > rules.MAX_PHOTO_RATIO or 0 in size:
            raise bad_request("PHOTO_INVALID_DIMENSIONS")
        return [{**base, "width": w, "height": h} for w, h in rules.photo_sizes(width, height)]

    def _media_file(self, value: Any, kind: str) -> _StoredFile:
        if isinstance(value, UploadedFile):
            folder = {"voice": "voice", "audio": "music", "document": "documents", "photo": "photos"}[kind]
            mime = value.content_type if value.content_type != "application/octet-stream" else None
            if mime is None:
                mime = {"voice": "audio/ogg", "audio": "audio/mpeg", "photo": "image/jpeg"}.get(kind)
            file = self.add_file(value.data, kind=folder, file_name=value.filename, mime_type=mime)
            return self._files[file["file_id"]]
        if isinstance(value, str) and value:
            if value in self._files:
                return self._files[value]
            if value.startswith(("http://", "https://")):
                file = self.add_file(b"", kind="documents", file_name=value.rsplit("/", 1)[-1] or None)
                return self._files[file["file_id"]]
            raise bad_request("wrong file identifier/HTTP URL specified")
        raise bad_request(f"there is no {kind} in the request")

    def _get_file(self, params: JsonDict) -> JsonDict:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > _MAX_DOWNLOAD_SIZE:
            raise bad_request("file is too big")
        return self._file_object(stored)


def _size(file: JsonDict) -> JsonDict:
    """The id/size part of a File object, reused for PhotoSize/Voice/... objects."""
    return {key: file[key] for key in ("file_id", "file_unique_id", "file_size")}


def messages_texts(messages: Iterable[JsonDict]) -> list[str]:
    """Convenience for assertions: the text (or caption) of each message."""
    return [str(m.get("text", m.get("caption", ""))) for m in messages]
