"""A local stand-in for translation services: real HTTP on 127.0.0.1, a random port.

It speaks the wire formats deep-translator 1.11.4 uses, so tests run the real client:

- LibreTranslate: ``POST /translate`` (text in the query string) -> ``{"translatedText": ...}``
- Google's mobile page: ``GET /m?sl=..&tl=..&q=..`` -> HTML with ``<div class="result-container">``
- MyMemory: ``GET /get?q=..&langpair=de-DE|en-GB`` -> ``{"responseData": {"translatedText": ...}}``
- DeepL: ``POST /v2/translate`` (form body, key in the Authorization header) ->
  ``{"translations": [{"text": ...}]}``; a GET or query parameters get 405, as at DeepL

It "translates" deterministically, line by line (``PREFIX + line``), so alignment can be
asserted, records every request, and injects faults on demand (see ``ServerBehaviour``).
"""

from __future__ import annotations

import contextlib
import html
import json
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PREFIX = "EN: "


def fake_translation(text: str) -> str:
    """What the server answers for ``text``: every line prefixed."""
    return "\n".join(PREFIX + line for line in text.split("\n"))


@dataclass
class ServerBehaviour:
    fail_first: int = 0  # the first N requests get ``fail_status``
    fail_status: int = 503
    retry_after: str | None = None  # Retry-After header sent with failures
    fail_containing: str | None = None  # any request whose text contains this fails ...
    fail_containing_status: int = 500  # ... with this status
    stall_seconds: float = 0.0  # wait this long before answering ...
    stall_first: int | None = None  # ... only the first N requests (None: all)
    merge_lines: bool = False  # answer multi-line texts as one line (breaks alignment)
    required_key: str | None = None  # DeepL Authorization header / Libre api_key, else 403
    mymemory_quota_spent: bool = False  # MyMemory's way: HTTP 200, responseStatus 429


@dataclass
class RecordedRequest:
    method: str
    path: str
    text: str  # the text to translate
    url_length: int  # the request target (path and query) as sent
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format, *args):  # keep test output clean
        pass

    def do_GET(self):
        self._handle()

    def do_POST(self):
        self._handle()

    def _handle(self):
        parsed = urllib.parse.urlsplit(self.path)
        params = dict(urllib.parse.parse_qsl(parsed.query, keep_blank_values=True))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            body = self.rfile.read(length).decode("utf-8")
            params.update(urllib.parse.parse_qsl(body, keep_blank_values=True))
        text = params.get("q", params.get("text", ""))
        service = self.server
        with service.lock:
            number = len(service.recorded)
            service.recorded.append(
                RecordedRequest(
                    self.command, parsed.path, text, len(self.path), params, dict(self.headers)
                )
            )
        behaviour = service.behaviour
        if parsed.path.endswith("/v2/translate") and (self.command != "POST" or parsed.query):
            # like DeepL since 2025: POST with a body only, no auth_key in the query
            return self._send(405, "application/json", json.dumps({"message": "use POST"}))
        stall = behaviour.stall_first is None or number < behaviour.stall_first
        if behaviour.stall_seconds and stall:
            service.release.wait(behaviour.stall_seconds)
        if number < behaviour.fail_first:
            return self._send(behaviour.fail_status, "text/plain", "failure on purpose")
        if behaviour.fail_containing and behaviour.fail_containing in text:
            return self._send(behaviour.fail_containing_status, "text/plain", "cannot translate")
        if behaviour.required_key is not None and not self._authorised(parsed.path, params):
            return self._send(403, "application/json", json.dumps({"error": "bad key"}))
        translated = fake_translation(text)
        if behaviour.merge_lines:
            translated = " ".join(translated.split("\n"))
        self._answer(parsed.path, translated)

    def _authorised(self, path: str, params: dict[str, str]) -> bool:
        key = self.server.behaviour.required_key
        if path.endswith("/v2/translate"):
            return self.headers.get("Authorization") == f"DeepL-Auth-Key {key}"
        return params.get("api_key") == key

    def _answer(self, path: str, translated: str):
        if path.endswith("/m"):
            page = (
                "<!DOCTYPE html><html><body><div class='header'>Google Translate</div>"
                f'<div class="result-container">{html.escape(translated)}</div></body></html>'
            )
            return self._send(200, "text/html; charset=utf-8", page)
        if path.endswith("/get") and self.server.behaviour.mymemory_quota_spent:
            warning = "MYMEMORY WARNING: YOU USED ALL AVAILABLE FREE TRANSLATIONS FOR TODAY."
            data = {
                "responseData": {"translatedText": warning},
                "responseDetails": warning,
                "responseStatus": 429,
                "matches": [],
            }
        elif path.endswith("/get"):
            data = {
                "responseData": {"translatedText": translated},
                "responseStatus": 200,
                "matches": [],
            }
        elif path.endswith("/v2/translate"):
            data = {"translations": [{"detected_source_language": "DE", "text": translated}]}
        elif path.endswith("/translate"):
            data = {"translatedText": translated}
        else:
            return self._send(404, "text/plain", "not found")
        return self._send(200, "application/json", json.dumps(data, ensure_ascii=False))

    def _send(self, status: int, content_type: str, body: str):
        payload = body.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        if status >= 400 and self.server.behaviour.retry_after is not None:
            self.send_header("Retry-After", self.server.behaviour.retry_after)
        self.end_headers()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # client gave up
            self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a stalled handler never blocks shutdown

    def __init__(self, behaviour: ServerBehaviour):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.behaviour = behaviour
        self.recorded: list[RecordedRequest] = []
        self.lock = threading.Lock()
        self.release = threading.Event()  # ends stalls early at shutdown


class TranslationServer:
    """``with TranslationServer(ServerBehaviour(...)) as server: ... server.url ...``"""

    def __init__(self, behaviour: ServerBehaviour | None = None):
        self._server = _Server(behaviour or ServerBehaviour())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def behaviour(self) -> ServerBehaviour:
        return self._server.behaviour

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._server.lock:
            return list(self._server.recorded)

    def start(self) -> TranslationServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.release.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> TranslationServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
