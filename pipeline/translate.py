"""Translation stage: an English version of the article, aligned sentence by sentence.

Entry point: ``translate_analysis(analysis, settings_or_provider_name) -> Translation``.

Providers are deep-translator's classes (``google``, ``mymemory``, ``deepl``, ``libre``) plus
``reference``, the bundled translation of the sample article (pipeline/data/translations/).
deep-translator 1.11.4 sends requests without a timeout, one text at a time, with the text
in the URL and a hard size limit; this module adds what the app needs around it:

- every request gets a timeout and a shared session: deep-translator's provider modules see
  ``_RequestsInScope`` as their ``requests`` (installed at import; other callers and threads
  are unaffected); DeepL's obsolete GET with the key in the URL becomes a POST with the key
  in the Authorization header;
- sentences are packed into requests under the provider's size limits (providers.json), one
  per line, and the answer's lines are mapped back; a request whose answer has the wrong
  number of lines is redone sentence by sentence, so alignment never drifts; an over-long
  sentence is cut at clause marks, then between words;
- retries with exponential backoff on throttling, 5xx and network errors, a circuit breaker
  and an overall deadline; nothing raises for service problems: no sentence translated ->
  ``Translation.error``; some -> ``Translation.partial`` with ``target=None`` pairs;
- a SQLite cache, so the same sentence is never sent twice.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import importlib
import json
import logging
import os
import re
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from deep_translator import (
    DeeplTranslator,
    GoogleTranslator,
    LibreTranslator,
    MyMemoryTranslator,
)
from deep_translator.constants import (
    DEEPL_LANGUAGE_TO_CODE,
    GOOGLE_LANGUAGES_TO_CODES,
    LIBRE_LANGUAGES_TO_CODES,
    MY_MEMORY_LANGUAGES_TO_CODES,
)
from deep_translator.exceptions import TooManyRequests

from pipeline.model import Analysis, Quote, SentencePair, Translation

log = logging.getLogger(__name__)

DATA_DIR = Path(__file__).resolve().parent / "data" / "translations"
REFERENCE = "reference"
REFERENCE_LABEL = "reference translation (bundled)"
NO_REFERENCE_ERROR = (
    "no bundled reference translation for this article; choose a translation provider"
)
UNREACHABLE = "translation service unreachable"
CACHE_DIR_ENV = "NEWSLENS_CACHE_DIR"
OFFLINE_TESTS_ENV = "NEWSLENS_OFFLINE_TESTS"  # set by tests/conftest.py: no public services
DEEPL_KEY_ENV = "DEEPL_API_KEY"
LIBRE_KEY_ENV = "LIBRE_API_KEY"
REFERENCE_MIN_COVERAGE = 0.9  # share of the article's letters the reference must cover
CACHE_FILE = "translations.sqlite3"

_QUOTE_MARKS = '„“”"«»‚‘’‹›'
_QUOTE_MARK_RUN = re.compile(f"[{_QUOTE_MARKS}]+")
_LINE_BREAK = re.compile(r"(\s*\n\s*)")
_CLAUSE_BREAK = re.compile(r"(?<=[;:,–—])\s+")  # a space after ; : , – —
_HAS_WORD = re.compile(r"\w")


# --------------------------------------------------------------------------- settings


@dataclass
class TranslationSettings:
    """How to translate. The app may fill ``api_key`` from Streamlit secrets."""

    provider: str = "google"  # google | mymemory | deepl | libre | reference
    url: str | None = None  # endpoint override: self-hosted LibreTranslate, a test server
    api_key: str | None = None  # DeepL / LibreTranslate; else $DEEPL_API_KEY / $LIBRE_API_KEY
    source_language: str | None = None  # None: the document's language
    target_language: str = "en"
    timeout: float = 10.0  # seconds per request (connecting, and between bytes of the answer)
    retries: int = 2  # extra attempts per request on throttling, 5xx and network errors
    backoff: float = 0.5  # first retry delay in seconds; doubles on each attempt
    deadline: float = 60.0  # seconds for the whole article; what is left stays untranslated
    cache_dir: str | Path | None = None  # None: $NEWSLENS_CACHE_DIR, else the user cache dir
    use_cache: bool = True
    max_request_chars: int | None = None  # lower the provider's request size limit
    request_interval: float | None = None  # seconds between requests; None: provider default

    @classmethod
    def coerce(cls, value: TranslationSettings | str) -> TranslationSettings:
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            return cls(provider=value)
        raise TypeError(f"expected a provider name or TranslationSettings, got {type(value)}")


@dataclass(frozen=True)
class ProviderInfo:
    name: str
    label: str
    max_chars: int
    max_encoded_chars: int
    default_url: str | None
    min_interval: float


@functools.lru_cache(maxsize=1)
def _provider_table() -> tuple[dict[str, ProviderInfo], dict[str, str], frozenset[int], float]:
    data = json.loads((DATA_DIR / "providers.json").read_text(encoding="utf-8"))
    providers = {
        name: ProviderInfo(
            name=name,
            label=entry["label"],
            max_chars=int(entry["max_chars"]),
            max_encoded_chars=int(entry["max_encoded_chars"]),
            default_url=entry.get("default_url"),
            min_interval=float(entry.get("min_interval_seconds", 0.0)),
        )
        for name, entry in data["providers"].items()
    }
    return (
        providers,
        dict(data.get("aliases", {})),
        frozenset(data["retry_statuses"]),
        float(data["max_retry_after_seconds"]),
    )


def providers() -> dict[str, ProviderInfo]:
    """The machine-translation providers (not ``reference``) with their request limits."""
    return dict(_provider_table()[0])


def provider_names() -> tuple[str, ...]:
    return (REFERENCE, *_provider_table()[0])


def _canonical_provider(name: str) -> str | None:
    table, aliases, _, _ = _provider_table()
    key = (name or "").strip().lower()
    key = aliases.get(key, key)
    return key if key == REFERENCE or key in table else None


# --------------------------------------------------------------------------- entry point


def translate_analysis(
    analysis: Analysis, settings_or_provider: TranslationSettings | str
) -> Translation:
    """Translate the analysed article sentence by sentence and fill ``Quote.translation``
    (every quote's translation is reset first, so a failure leaves none behind).

    Service problems never raise. When no sentence could be translated, ``error`` says why
    ("translation service unreachable: …"); when only some failed, ``partial`` is True, their
    ``SentencePair.target`` is None and ``text`` keeps them in the original language.
    """
    # A failed or different translation must never leave an earlier provider's quote
    # translations behind (the page and the exports would show them as current).
    for quote in analysis.quotes:
        quote.translation = None
    settings = TranslationSettings.coerce(settings_or_provider)
    provider = _canonical_provider(settings.provider)
    source_language = (settings.source_language or analysis.document.language or "").lower()
    if not re.fullmatch(r"[a-z]{2,3}(-[a-z]{2})?", source_language):
        source_language = "auto"  # language detection gave up ("unknown")
    target_language = settings.target_language.lower()
    if provider is None:
        return Translation(
            provider=settings.provider,
            source_language=source_language,
            target_language=target_language,
            error=f"unknown translation provider {settings.provider!r}; "
            f"choose one of: {', '.join(provider_names())}",
        )
    if provider == REFERENCE:
        return _reference_translation(analysis, target_language)
    if source_language == target_language:
        return _identity_translation(analysis, provider, source_language)
    return _MachineTranslation(analysis, settings, provider, source_language).run()


# --------------------------------------------------------------------------- text units


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _sentence_spans(analysis: Analysis) -> list[tuple[int, int]]:
    """The analysis's sentences without surrounding whitespace (lines if it has none)."""
    text = analysis.document.text
    spans = analysis.sentences or [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    stripped = (_strip_span(text, s, e) for s, e in spans)
    return [(s, e) for s, e in stripped if s < e]


def _gap_separator(gap: str) -> str:
    """How two translated pieces are joined, keeping the source's line and paragraph breaks."""
    newlines = gap.count("\n")
    return "\n\n" if newlines >= 2 else "\n" if newlines else " "


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _quote_key(text: str) -> str:
    return _normalise(text).strip(_QUOTE_MARKS + " ")


def _bare(text: str) -> str:
    """Without quote marks and final punctuation: how a quote matches the sentence it is."""
    return _quote_key(text).rstrip(".!?…" + _QUOTE_MARKS + " ")


def _as_quote(quote_text: str, sentence_translation: str) -> str:
    """A sentence's translation used for a quote that is the whole sentence."""
    translated = _quote_key(sentence_translation)
    if not _quote_key(quote_text).endswith((".", "!", "?", "…")):
        translated = translated.rstrip(".")
    return translated


def _assemble_text(document_text: str, pairs: list[SentencePair]) -> str:
    """The whole translated article; untranslated sentences stay in the source language."""
    parts: list[str] = []
    previous_end: int | None = None
    for pair in pairs:
        if previous_end is not None:
            parts.append(_gap_separator(document_text[previous_end : pair.start]))
        parts.append(pair.target if pair.target is not None else pair.source)
        previous_end = pair.end
    return "".join(parts).strip()


def _identity_translation(analysis: Analysis, provider: str, language: str) -> Translation:
    text = analysis.document.text
    pairs = [SentencePair(text[s:e], text[s:e], s, e) for s, e in _sentence_spans(analysis)]
    for quote in analysis.quotes:
        quote.translation = _quote_key(quote.text)
    return Translation(
        provider=provider,
        source_language=language,
        target_language=language,
        text=_assemble_text(text, pairs),
        sentences=pairs,
        label=f"the article is already in the target language ({language})",
    )


# --------------------------------------------------------------------------- request sizes


def _encoded_length(text: str) -> int:
    """Length of ``text`` in a URL query string (how requests encodes params)."""
    return len(urllib.parse.quote_plus(text))


@dataclass(frozen=True)
class _Limits:
    max_chars: int
    max_encoded_chars: int

    def fits(self, text: str) -> bool:
        return len(text) <= self.max_chars and _encoded_length(text) <= self.max_encoded_chars


def _pack(parts: list[str], limits: _Limits, separator: str) -> list[list[str]]:
    """Greedily group consecutive parts so that each group, joined by ``separator``, fits.
    Sizes are summed, not re-measured, so long inputs stay linear."""
    groups: list[list[str]] = []
    current: list[str] = []
    raw = encoded = 0
    separator_encoded = _encoded_length(separator)
    for part in parts:
        size, size_encoded = len(part), _encoded_length(part)
        if current and (
            raw + len(separator) + size > limits.max_chars
            or encoded + separator_encoded + size_encoded > limits.max_encoded_chars
        ):
            groups.append(current)
            current, raw, encoded = [], 0, 0
        if current:
            raw += len(separator)
            encoded += separator_encoded
        current.append(part)
        raw += size
        encoded += size_encoded
    if current:
        groups.append(current)
    return groups


def _pack_words(parts: list[str], limits: _Limits) -> list[str]:
    return [" ".join(group) for group in _pack(parts, limits, " ")]


def _hard_cut(word: str, limits: _Limits) -> list[str]:
    """A single 'word' longer than a request (a pasted URL or a string of symbols)."""
    pieces, current, raw, encoded = [], [], 0, 0
    for char in word:
        size = _encoded_length(char)
        if current and (raw + 1 > limits.max_chars or encoded + size > limits.max_encoded_chars):
            pieces.append("".join(current))
            current, raw, encoded = [], 0, 0
        current.append(char)
        raw += 1
        encoded += size
    if current:
        pieces.append("".join(current))
    return pieces


def _split_long_line(line: str, limits: _Limits) -> list[str]:
    """Split a line that does not fit one request: at clause marks first, then at words."""
    if limits.fits(line):
        return [line]
    pieces: list[str] = []
    for clause_group in _pack_words(_CLAUSE_BREAK.split(line), limits):
        if limits.fits(clause_group):
            pieces.append(clause_group)
            continue
        for word_group in _pack_words(clause_group.split(" "), limits):
            pieces.extend(
                [word_group] if limits.fits(word_group) else _hard_cut(word_group, limits)
            )
    return pieces


@dataclass
class _Unit:
    """A sentence or a quote: the pieces sent to the service and how to join them back."""

    source: str
    start: int
    end: int
    pieces: list[tuple[str, str]]  # (separator before the piece, single-line piece)


def _make_unit(source: str, start: int, end: int, limits: _Limits) -> _Unit:
    pieces: list[tuple[str, str]] = []
    separator = ""
    for index, part in enumerate(_LINE_BREAK.split(source)):
        if index % 2:  # a line break between lines
            separator = _gap_separator(part)
            continue
        line = _normalise(part)
        if not line:
            continue
        for k, piece in enumerate(_split_long_line(line, limits)):
            pieces.append(((separator if k == 0 else " ") if pieces else "", piece))
        separator = " "
    return _Unit(source, start, end, pieces)


def _pack_requests(segments: list[str], limits: _Limits) -> list[list[str]]:
    """Consecutive segments, one per line, in requests that fit the limits."""
    return _pack(segments, limits, "\n")


# --------------------------------------------------------------------------- HTTP with timeouts


@dataclass
class _RequestScope:
    """Per-call HTTP settings for deep-translator's requests on this thread."""

    session: requests.Session
    timeout: float
    drop_params: frozenset[str] = frozenset()
    form_post: bool = False  # send a GET's query parameters as a form-encoded POST instead
    last_status: int | None = None
    last_retry_after: float | None = None
    last_response: requests.Response | None = None
    requests_sent: int = 0


_local = threading.local()


class _RequestsInScope:
    """Stands in for the ``requests`` module inside deep-translator's provider modules.

    deep-translator calls ``requests.get/post`` without a timeout. While a ``_RequestScope``
    is active on the calling thread, those calls go through its session with its timeout;
    everyone else (other threads, other code) gets plain ``requests`` unchanged.
    """

    def __getattr__(self, name: str) -> Any:
        return getattr(requests, name)

    def get(self, url, params=None, **kwargs):
        return self.request("get", url, params=params, **kwargs)

    def post(self, url, data=None, json=None, **kwargs):
        return self.request("post", url, data=data, json=json, **kwargs)

    def request(self, method, url, **kwargs):
        scope: _RequestScope | None = getattr(_local, "scope", None)
        if scope is None:
            return requests.request(method, url, **kwargs)
        params = kwargs.get("params")
        if scope.drop_params and isinstance(params, dict):
            params = kwargs["params"] = {
                k: v for k, v in params.items() if k not in scope.drop_params
            }
        if scope.form_post and method.lower() == "get" and params:
            method, kwargs["data"], kwargs["params"] = "post", params, None
        kwargs["timeout"] = scope.timeout
        scope.requests_sent += 1
        response = scope.session.request(method, url, **kwargs)
        scope.last_response = response
        scope.last_status = response.status_code
        scope.last_retry_after = _retry_after_seconds(response.headers.get("Retry-After"))
        return response


_REQUESTS_IN_SCOPE = _RequestsInScope()
_PROVIDER_MODULES = (
    "deep_translator.google",
    "deep_translator.mymemory",
    "deep_translator.deepl",
    "deep_translator.libre",
)


def _install_request_scope() -> None:
    for module_name in _PROVIDER_MODULES:
        module = importlib.import_module(module_name)
        if not isinstance(module.requests, _RequestsInScope):
            module.requests = _REQUESTS_IN_SCOPE


_install_request_scope()


@contextmanager
def _request_scope(scope: _RequestScope) -> Iterator[_RequestScope]:
    previous = getattr(_local, "scope", None)
    _local.scope = scope
    try:
        yield scope
    finally:
        _local.scope = previous


def _retry_after_seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:  # an HTTP date; the exponential backoff is good enough then
        return None


# --------------------------------------------------------------------------- providers


class _ConfigError(Exception):
    """A setting the user has to fix (missing key or URL, unsupported language)."""


@dataclass
class _Provider:
    info: ProviderInfo
    translator: Any
    endpoint: str  # part of the cache key
    headers: dict[str, str] = field(default_factory=dict)
    drop_params: frozenset[str] = frozenset()
    form_post: bool = False
    # A service problem reported inside a 200 answer, which deep-translator would return as
    # the translation: (status, message) or None.
    answer_problem: Callable[[requests.Response], tuple[int, str] | None] | None = None


def _mymemory_problem(response: requests.Response) -> tuple[int, str] | None:
    """MyMemory answers quota and language errors with HTTP 200 and ``responseStatus``."""
    try:
        data = response.json()
        status = int(str(data.get("responseStatus", 200)))
    except (ValueError, AttributeError):
        return None
    if status == 200:
        return None
    details = str(data.get("responseDetails") or "")[:120]
    return status, details


def _language_code(code: str, languages: dict[str, str], label: str) -> str:
    """Map an ISO code ("de") to the provider's own code ("de-DE" for MyMemory)."""
    values = list(languages.values())
    if code == "auto" or code in values:
        return code
    by_name = {name.lower(): value for name, value in languages.items()}
    if code in by_name:
        return by_name[code]
    regional = [v for v in values if v.lower().split("-")[0] == code]
    if regional:
        preferred = f"{code}-{code.upper()}"
        return preferred if preferred in regional else regional[0]
    raise _ConfigError(f"{label} does not support the language {code!r}")


def _service_root(url: str) -> str:
    """'http://host:5000', '.../translate' or '.../' -> 'http://host:5000/' (deep-translator
    appends the endpoint name itself)."""
    root = url.strip().rstrip("/")
    root = root.removesuffix("/translate")
    return root + "/"


def _build_provider(
    name: str, settings: TranslationSettings, source: str, target: str
) -> _Provider:
    info = _provider_table()[0][name]
    url = settings.url.strip() if settings.url else None
    if name == "google":
        translator = GoogleTranslator(
            source=_language_code(source, GOOGLE_LANGUAGES_TO_CODES, info.label),
            target=_language_code(target, GOOGLE_LANGUAGES_TO_CODES, info.label),
        )
        # GoogleTranslator sets base_url itself (passing one is a TypeError): override after.
        translator._base_url = url or info.default_url
        return _Provider(info, translator, translator._base_url)
    if name == "mymemory":
        translator = MyMemoryTranslator(
            source=_language_code(source, MY_MEMORY_LANGUAGES_TO_CODES, info.label),
            target=_language_code(target, MY_MEMORY_LANGUAGES_TO_CODES, info.label),
        )
        translator._base_url = url or info.default_url
        return _Provider(info, translator, translator._base_url, answer_problem=_mymemory_problem)
    if name == "deepl":
        key = settings.api_key or os.environ.get(DEEPL_KEY_ENV)
        if not key:
            raise _ConfigError(
                f"DeepL needs an API key: set {DEEPL_KEY_ENV} or enter one in the settings"
            )
        translator = DeeplTranslator(
            source=_language_code(source, DEEPL_LANGUAGE_TO_CODE, info.label),
            target=_language_code(target, DEEPL_LANGUAGE_TO_CODE, info.label),
            api_key=key,
            use_free_api=key.endswith(":fx"),  # DeepL's free-tier keys end in ":fx"
        )
        if url:
            translator._base_url = _service_root(url)
        # deep-translator sends GET /translate?auth_key=…&text=…, which DeepL has refused
        # since 2025 (GET and key-in-query are obsolete): send the key in DeepL's header and
        # the parameters as a POST body instead (also keeps key and text out of URLs/logs).
        return _Provider(
            info,
            translator,
            translator._base_url,
            headers={"Authorization": f"DeepL-Auth-Key {key}"},
            drop_params=frozenset({"auth_key"}),
            form_post=True,
        )
    if name == "libre":
        key = settings.api_key or os.environ.get(LIBRE_KEY_ENV)
        if not url and not key:
            raise _ConfigError(
                "LibreTranslate needs a server URL (a self-hosted server, e.g. "
                "http://localhost:5000) or an API key for libretranslate.com"
            )
        translator = LibreTranslator(
            source=_language_code(source, LIBRE_LANGUAGES_TO_CODES, info.label),
            target=_language_code(target, LIBRE_LANGUAGES_TO_CODES, info.label),
            api_key=key or "unused",  # deep-translator insists on a key; servers may not
            use_free_api=False,
            custom_url=_service_root(url) if url else None,
        )
        translator.api_key = key  # None: no api_key parameter is sent
        return _Provider(info, translator, translator._base_url)
    raise _ConfigError(f"unknown translation provider {name!r}")


# --------------------------------------------------------------------------- calling a service


class _ServiceFailure(Exception):
    """One request failed for good (after retries). ``kind`` decides what happens next."""

    NETWORK = "network"  # timeout, connection refused: stop after two in a row
    SERVER = "server"  # 5xx
    THROTTLED = "throttled"  # 429 after retries: stop, more requests prolong the block
    REFUSED = "refused"  # 401/403: stop, every request will fail the same way
    REJECTED = "rejected"  # other 4xx or an answer the library could not read

    def __init__(self, reason: str, kind: str, retryable: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.retryable = retryable


class _Caller:
    """Sends one text to the provider with timeout, retries and backoff, within the deadline."""

    def __init__(self, provider: _Provider, settings: TranslationSettings, scope: _RequestScope):
        self.provider = provider
        self.settings = settings
        self.scope = scope
        self.deadline_at = time.monotonic() + settings.deadline
        self.host = urllib.parse.urlsplit(provider.endpoint).netloc or provider.endpoint
        self._last_request_at = 0.0

    def time_left(self) -> float:
        return self.deadline_at - time.monotonic()

    def translate(self, text: str) -> str:
        attempt = 0
        while True:
            if self.time_left() <= 0:
                raise _ServiceFailure(
                    f"gave up after {self.settings.deadline:g} s", _ServiceFailure.NETWORK
                )
            self._keep_interval()
            self.scope.last_status = None
            self.scope.last_retry_after = None
            self.scope.last_response = None
            try:
                result = self.provider.translator.translate(text)
                self._check_answer()
            except Exception as exc:  # deep-translator raises many types; classified below
                failure = exc if isinstance(exc, _ServiceFailure) else self._classify(exc)
                log.info("translation request failed (%s): %s", failure.kind, failure.reason)
                delay = self._retry_delay(attempt, failure)
                if delay is None:
                    raise failure from exc
                time.sleep(delay)
                attempt += 1
                continue
            if not isinstance(result, str) or not result.strip():
                raise _ServiceFailure(
                    "the service sent an empty translation", _ServiceFailure.REJECTED
                )
            return result

    def _check_answer(self) -> None:
        check, response = self.provider.answer_problem, self.scope.last_response
        problem = check(response) if check and response is not None else None
        if problem is None:
            return
        status, details = problem
        reason = f"{self.provider.info.label} reports {status}" + (
            f": {details}" if details else ""
        )
        if status == 429:
            raise _ServiceFailure(reason, _ServiceFailure.THROTTLED)
        kind = _ServiceFailure.REFUSED if status in (401, 403) else _ServiceFailure.REJECTED
        raise _ServiceFailure(reason, kind)

    def _keep_interval(self) -> None:
        interval = self.settings.request_interval
        if interval is None:
            interval = self.provider.info.min_interval
        wait = self._last_request_at + interval - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_request_at = time.monotonic()

    def _retry_delay(self, attempt: int, failure: _ServiceFailure) -> float | None:
        if not failure.retryable or attempt >= self.settings.retries:
            return None
        max_retry_after = _provider_table()[3]
        delay = self.settings.backoff * (2**attempt)
        if self.scope.last_retry_after is not None:
            delay = max(delay, min(self.scope.last_retry_after, max_retry_after))
        if delay >= self.time_left():
            return None
        return delay

    def _classify(self, exc: Exception) -> _ServiceFailure:
        # Reasons are built here, never from str(exc): those contain URLs with the article
        # text and, for some providers, the API key.
        retry_statuses = _provider_table()[2]
        status = self.scope.last_status
        if isinstance(exc, requests.Timeout):
            reason = f"no answer from {self.host} within {self.settings.timeout:g} s"
            return _ServiceFailure(reason, _ServiceFailure.NETWORK, retryable=True)
        if isinstance(exc, requests.ConnectionError):
            reason = f"cannot connect to {self.host}"
            return _ServiceFailure(reason, _ServiceFailure.NETWORK, retryable=True)
        if isinstance(exc, requests.RequestException):
            reason = f"request to {self.host} failed ({type(exc).__name__})"
            return _ServiceFailure(reason, _ServiceFailure.NETWORK, retryable=True)
        if status in (401, 403):
            reason = f"HTTP {status} from {self.host}: access refused (check the API key)"
            return _ServiceFailure(reason, _ServiceFailure.REFUSED)
        if status == 429 or isinstance(exc, TooManyRequests):
            reason = f"HTTP 429 from {self.host}: too many requests, try again later"
            return _ServiceFailure(reason, _ServiceFailure.THROTTLED, retryable=True)
        if status is not None and status >= 500:
            reason = f"HTTP {status} from {self.host}"
            return _ServiceFailure(reason, _ServiceFailure.SERVER, status in retry_statuses)
        if status is not None and not 200 <= status < 300:
            reason = f"HTTP {status} from {self.host}"
            return _ServiceFailure(reason, _ServiceFailure.REJECTED, status in retry_statuses)
        reason = f"unexpected answer from {self.host} ({type(exc).__name__})"
        return _ServiceFailure(reason, _ServiceFailure.REJECTED)


# --------------------------------------------------------------------------- cache


class _Cache:
    """Translations of single segments in SQLite, keyed by provider, endpoint, language pair
    and the segment's hash. Any database problem only disables the cache for this run."""

    _ready: set[Path] = set()
    _ready_lock = threading.Lock()

    def __init__(self, path: Path | None, provider: str, endpoint: str, source: str, target: str):
        self.path = path
        self.key = (provider, endpoint, source, target)

    @staticmethod
    def directory(settings: TranslationSettings) -> Path | None:
        if not settings.use_cache:
            return None
        if settings.cache_dir:
            return Path(settings.cache_dir)
        if os.environ.get(CACHE_DIR_ENV):
            return Path(os.environ[CACHE_DIR_ENV])
        if os.environ.get(OFFLINE_TESTS_ENV):
            return None  # tests never write into the user's cache
        import platformdirs

        return Path(platformdirs.user_cache_dir("newslens"))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        assert self.path is not None
        with closing(sqlite3.connect(self.path, timeout=2.0)) as connection, connection:
            yield connection

    def _prepare(self) -> bool:
        if self.path is None:
            return False
        with self._ready_lock:
            if self.path in self._ready:
                return True
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                with self._connect() as connection:
                    connection.execute("PRAGMA journal_mode=WAL")
                    connection.execute(
                        "CREATE TABLE IF NOT EXISTS translations ("
                        " provider TEXT NOT NULL, endpoint TEXT NOT NULL,"
                        " source_language TEXT NOT NULL, target_language TEXT NOT NULL,"
                        " text_sha256 TEXT NOT NULL, translation TEXT NOT NULL,"
                        " created REAL NOT NULL,"
                        " PRIMARY KEY (provider, endpoint, source_language, target_language,"
                        " text_sha256))"
                    )
            except (OSError, sqlite3.Error) as err:
                log.warning("translation cache disabled (%s): %s", self.path, err)
                self.path = None
                return False
            self._ready.add(self.path)
            return True

    @staticmethod
    def _hash(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def lookup(self, texts: list[str]) -> dict[str, str]:
        if not texts or not self._prepare():
            return {}
        by_hash = {self._hash(t): t for t in texts}
        found: dict[str, str] = {}
        hashes = list(by_hash)
        try:
            with self._connect() as connection:
                for i in range(0, len(hashes), 500):  # SQLite's parameter limit
                    batch = hashes[i : i + 500]
                    rows = connection.execute(
                        "SELECT text_sha256, translation FROM translations WHERE provider=?"
                        " AND endpoint=? AND source_language=? AND target_language=?"
                        f" AND text_sha256 IN ({','.join('?' * len(batch))})",
                        (*self.key, *batch),
                    )
                    found.update((by_hash[h], translation) for h, translation in rows)
        except sqlite3.Error as err:
            log.warning("translation cache not readable (%s): %s", self.path, err)
        return found

    def store(self, translations: dict[str, str]) -> None:
        if not translations or not self._prepare():
            return
        now = time.time()
        rows = [(*self.key, self._hash(s), t, now) for s, t in translations.items()]
        try:
            with self._connect() as connection:
                connection.executemany(
                    "INSERT OR REPLACE INTO translations VALUES (?, ?, ?, ?, ?, ?, ?)", rows
                )
        except sqlite3.Error as err:
            log.warning("translation cache not writable (%s): %s", self.path, err)


# --------------------------------------------------------------------------- machine translation


class _MachineTranslation:
    """One article through one provider."""

    def __init__(
        self, analysis: Analysis, settings: TranslationSettings, provider: str, source: str
    ):
        self.analysis = analysis
        self.settings = settings
        self.provider_name = provider
        self.source = source
        self.target = settings.target_language.lower()
        self.done: dict[str, str] = {}  # segment -> translation
        self.failures: list[_ServiceFailure] = []
        self.stop: _ServiceFailure | None = None  # set when sending more is pointless

    def _result(self, **kwargs) -> Translation:
        return Translation(
            provider=self.provider_name,
            source_language=self.source,
            target_language=self.target,
            **kwargs,
        )

    def run(self) -> Translation:
        info = _provider_table()[0][self.provider_name]
        try:
            provider = _build_provider(self.provider_name, self.settings, self.source, self.target)
        except _ConfigError as err:
            return self._result(error=str(err))
        except Exception as err:  # deep-translator validates languages and keys its own way
            log.info("cannot set up %s: %r", info.label, err)
            return self._result(error=f"cannot use {info.label}: {type(err).__name__}")
        if os.environ.get(OFFLINE_TESTS_ENV) and not self.settings.url:
            return self._result(
                error=f"{info.label} is not used in offline tests; pass a test server URL"
            )

        limit = min(info.max_chars, self.settings.max_request_chars or info.max_chars)
        limits = _Limits(limit, info.max_encoded_chars)
        text = self.analysis.document.text
        sentence_units = [
            _make_unit(text[s:e], s, e, limits) for s, e in _sentence_spans(self.analysis)
        ]
        # A quote that is a whole sentence reuses the sentence's translation (no request).
        sentence_by_bare: dict[str, _Unit] = {}
        for unit in sentence_units:
            sentence_by_bare.setdefault(_bare(unit.source), unit)
        reused = [sentence_by_bare.get(_bare(q.text)) for q in self.analysis.quotes]
        quote_units = [
            unit or _make_unit(_quote_key(q.text), q.start, q.end, limits)
            for q, unit in zip(self.analysis.quotes, reused, strict=True)
        ]
        segments = list(dict.fromkeys(p for u in sentence_units + quote_units for _, p in u.pieces))
        for segment in segments:  # nothing to translate in "„" or "–"
            if not _HAS_WORD.search(segment):
                self.done[segment] = segment

        cache_dir = _Cache.directory(self.settings)
        cache = _Cache(
            cache_dir / CACHE_FILE if cache_dir else None,
            self.provider_name,
            provider.endpoint,
            self.source,
            self.target,
        )
        pending = [s for s in segments if s not in self.done]
        self.done.update(cache.lookup(pending))
        pending = [s for s in pending if s not in self.done]
        if pending:
            self._translate_segments(provider, pending, limits, cache)

        pairs = [
            SentencePair(u.source, self._unit_target(u), u.start, u.end) for u in sentence_units
        ]
        for quote, unit, sentence in zip(self.analysis.quotes, quote_units, reused, strict=True):
            translated = self._unit_target(unit)
            if sentence is not None and translated is not None:
                translated = _as_quote(quote.text, translated)
            quote.translation = translated
        failed = sum(p.target is None for p in pairs)
        label = f"machine translation ({info.label})"
        if pairs and failed == len(pairs):
            return self._result(
                sentences=pairs,
                text="",
                error=self._total_failure_message(),
                partial=False,
                label=label,
            )
        if failed:  # ``error`` stays None: the page treats it as "no translation at all"
            log.info("%d of %d sentences untranslated: %s", failed, len(pairs), self._last_reason())
        return self._result(
            sentences=pairs, text=_assemble_text(text, pairs), label=label, partial=failed > 0
        )

    def _unit_target(self, unit: _Unit) -> str | None:
        parts = []
        for separator, piece in unit.pieces:
            translated = self.done.get(piece)
            if translated is None:
                return None
            parts.append(separator + translated)
        return "".join(parts) if parts else None

    def _last_reason(self) -> str:
        failure = self.stop or (self.failures[-1] if self.failures else None)
        return failure.reason if failure else "no translation returned"

    def _total_failure_message(self) -> str:
        failure = self.stop or (self.failures[-1] if self.failures else None)
        if failure and failure.kind == _ServiceFailure.REFUSED:
            return f"translation service refused the request: {failure.reason}"
        if failure and failure.kind == _ServiceFailure.REJECTED:
            return f"translation failed: {failure.reason}"
        return f"{UNREACHABLE}: {self._last_reason()}"

    def _translate_segments(
        self, provider: _Provider, pending: list[str], limits: _Limits, cache: _Cache
    ) -> None:
        _install_request_scope()  # idempotent; survives a reload of deep_translator
        with requests.Session() as session:
            session.headers.update(provider.headers)
            scope = _RequestScope(
                session, self.settings.timeout, provider.drop_params, provider.form_post
            )
            caller = _Caller(provider, self.settings, scope)
            try:
                with _request_scope(scope):
                    self._send_all(caller, pending, limits, cache)
            finally:
                log.info("translation: %d requests to %s", scope.requests_sent, caller.host)

    def _send_all(
        self, caller: _Caller, pending: list[str], limits: _Limits, cache: _Cache
    ) -> None:
        """Pass 1 sends whole requests; pass 2 redoes the requests that failed or lost their
        alignment sentence by sentence, if the service answered at all."""
        redo: list[list[str]] = []
        answered = False
        streak: list[_ServiceFailure] = []  # failures since the last success
        for chunk in _pack_requests(pending, limits):
            outcome = self._send_chunk(caller, chunk, cache)
            answered = answered or not isinstance(outcome, _ServiceFailure)
            if outcome is None:
                streak.clear()
                continue
            if outcome is True or len(chunk) > 1:  # one failed sentence: no point resending
                redo.append(chunk)
            if isinstance(outcome, _ServiceFailure):
                streak.append(outcome)
                if self._should_stop(streak):
                    return
        if not answered:
            return
        streak.clear()
        for segment in (s for chunk in redo for s in chunk):
            if segment in self.done:
                continue
            try:
                self.done[segment] = _one_line(caller.translate(segment))
            except _ServiceFailure as failure:
                self.failures.append(failure)
                streak.append(failure)
                if self._should_stop(streak):
                    return
                continue
            streak.clear()
            cache.store({segment: self.done[segment]})

    def _should_stop(self, streak: list[_ServiceFailure]) -> bool:
        """Stop sending when more requests cannot help: throttled, refused, the network
        failed twice in a row, or five requests in a row failed (each after its retries)."""
        last = streak[-1]
        network = _ServiceFailure.NETWORK
        stop = (
            last.kind in (_ServiceFailure.THROTTLED, _ServiceFailure.REFUSED)
            or (len(streak) >= 2 and streak[-2].kind == network and last.kind == network)
            or len(streak) >= 5
        )
        if stop:
            self.stop = last
        return stop

    def _send_chunk(
        self, caller: _Caller, chunk: list[str], cache: _Cache
    ) -> _ServiceFailure | bool | None:
        """None when every segment got its line; True when the line count did not match;
        the failure when the request failed."""
        try:
            answer = caller.translate("\n".join(chunk))
        except _ServiceFailure as failure:
            self.failures.append(failure)
            return failure
        lines = [line.strip() for line in answer.replace("\r\n", "\n").split("\n")]
        lines = [line for line in lines if line]
        if len(lines) != len(chunk):
            log.info(
                "translation: %d lines for %d sentences; retrying one by one",
                len(lines),
                len(chunk),
            )
            return True
        translated = dict(zip(chunk, lines, strict=True))
        self.done.update(translated)
        cache.store(translated)
        return None


def _one_line(text: str) -> str:
    return " ".join(text.split())


# --------------------------------------------------------------------------- bundled reference


@dataclass(frozen=True)
class _Reference:
    text_sha1: str
    target_language: str
    sentences: tuple[tuple[str, str], ...]  # (source as in the article, translation)
    quotes: dict[str, str]  # quote text without quote marks and final stop -> translation


@functools.lru_cache(maxsize=1)
def _references() -> tuple[_Reference, ...]:
    references = []
    for path in sorted(DATA_DIR.glob("*.reference.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        references.append(
            _Reference(
                text_sha1=data.get("text_sha1", ""),
                target_language=data.get("target_language", "en"),
                sentences=tuple((s["source"], s["target"]) for s in data["sentences"]),
                quotes={_bare(q["source"]): q["target"] for q in data.get("quotes", [])},
            )
        )
    return tuple(references)


def _normalised_with_offsets(text: str) -> tuple[str, list[int]]:
    """``text`` with whitespace runs collapsed to one space, and each char's original offset."""
    chars: list[str] = []
    offsets: list[int] = []
    for match in re.finditer(r"\s+|\S+", text):
        if match.group()[0].isspace():
            chars.append(" ")
            offsets.append(match.start())
        else:
            chars.append(match.group())
            offsets.extend(range(match.start(), match.end()))
    return "".join(chars), offsets


@dataclass(frozen=True)
class _Located:
    start: int
    end: int
    target: str


def _locate(reference: _Reference, text: str) -> list[_Located]:
    """Find the reference's source sentences in the article, in order."""
    normalised, offsets = _normalised_with_offsets(text)
    located: list[_Located] = []
    cursor = 0
    for source, target in reference.sentences:
        needle = _normalise(source)
        index = normalised.find(needle, cursor)
        if index < 0 or not needle:
            continue
        last = index + len(needle) - 1
        located.append(_Located(offsets[index], offsets[last] + 1, target))
        cursor = last + 1
    return located


def _word_chars(text: str) -> int:
    return sum(ch.isalnum() for ch in text)


def _match_reference(text: str) -> tuple[_Reference, list[_Located]] | None:
    total = _word_chars(text)
    sha1 = hashlib.sha1(text.encode("utf-8")).hexdigest()
    best = None
    for reference in _references():
        located = _locate(reference, text)
        covered = sum(_word_chars(text[r.start : r.end]) for r in located)
        matches = reference.text_sha1 == sha1 or (
            total > 0 and covered / total >= REFERENCE_MIN_COVERAGE
        )
        if matches and (best is None or covered > best[2]):
            best = (reference, located, covered)
    return (best[0], best[1]) if best else None


def _overlaps_words(text: str, a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two spans share at least one letter or digit (not just a quote mark)."""
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return start < end and _HAS_WORD.search(text, start, end) is not None


def _join_located(text: str, located: list[_Located]) -> str:
    parts = []
    for i, item in enumerate(located):
        if i:
            parts.append(_gap_separator(text[located[i - 1].end : item.start]))
        parts.append(item.target)
    return "".join(parts)


def _align_reference(
    text: str, spans: list[tuple[int, int]], located: list[_Located]
) -> list[SentencePair]:
    """One pair per analysis sentence; sentences that share a reference sentence (the
    analysis split it differently) are merged into one pair, so no translation is cut."""
    groups: list[list[Any]] = []  # [first sentence index, last index, located items]
    owner: dict[int, int] = {}  # sentence index -> group index
    j = 0
    for item in located:
        while j < len(spans) and spans[j][1] <= item.start:
            j += 1
        hits = []
        k = j
        while k < len(spans) and spans[k][0] < item.end:
            if _overlaps_words(text, spans[k], (item.start, item.end)):
                hits.append(k)
            k += 1
        if not hits:
            continue
        first, last = hits[0], hits[-1]
        if groups and first <= groups[-1][1]:
            group = groups[-1]
            group[1] = max(group[1], last)
        else:
            group = [first, last, []]
            groups.append(group)
        group[2].append(item)
        for index in range(first, last + 1):
            owner[index] = len(groups) - 1
    pairs: list[SentencePair] = []
    emitted: set[int] = set()
    for index, (start, end) in enumerate(spans):
        group_index = owner.get(index)
        if group_index is None:
            pairs.append(SentencePair(text[start:end], None, start, end))
            continue
        if group_index in emitted:
            continue
        emitted.add(group_index)
        first, last, items = groups[group_index]
        start, end = spans[first][0], spans[last][1]
        pairs.append(SentencePair(text[start:end], _join_located(text, items), start, end))
    return pairs


def _reference_quote(
    reference: _Reference, quote: Quote, text: str, located: list[_Located], ends: list[int]
) -> str | None:
    key = _bare(quote.text)
    if key in reference.quotes:
        return reference.quotes[key]
    # A quote interrupted by its speaker ("…“, betont Jain. „…"): translate the quoted parts.
    parts = [p for p in (_bare(x) for x in _QUOTE_MARK_RUN.split(quote.text)) if p]
    matched = [p for p in parts if p in reference.quotes]
    if matched and _word_chars("".join(matched)) >= 2 / 3 * _word_chars(quote.text):
        return " ".join(reference.quotes[p] for p in matched)
    # Otherwise (indirect quotes): the translated sentences the quote lies in.
    first = bisect.bisect_right(ends, quote.start)  # located sentences are in text order
    inside = []
    for item in located[first:]:
        if item.start >= quote.end:
            break
        if _overlaps_words(text, (quote.start, quote.end), (item.start, item.end)):
            inside.append(item)
    return _join_located(text, inside) if inside else None


def _reference_translation(analysis: Analysis, target_language: str) -> Translation:
    text = analysis.document.text
    result = Translation(
        provider=REFERENCE,
        source_language=analysis.document.language or "de",
        target_language=target_language,
    )
    match = _match_reference(text)
    if match is None or match[0].target_language != target_language:
        result.error = NO_REFERENCE_ERROR
        return result
    reference, located = match
    pairs = _align_reference(text, _sentence_spans(analysis), located)
    ends = [item.end for item in located]
    for quote in analysis.quotes:
        quote.translation = _reference_quote(reference, quote, text, located, ends)
    result.sentences = pairs
    result.text = _assemble_text(text, pairs)
    result.label = REFERENCE_LABEL
    result.partial = any(p.target is None for p in pairs)  # an edited copy of the sample
    return result


__all__ = [
    "NO_REFERENCE_ERROR",
    "REFERENCE_LABEL",
    "TranslationSettings",
    "provider_names",
    "providers",
    "translate_analysis",
]
