"""Translation stage: the real deep-translator client over real HTTP against a local server
(tests/translation_server.py), plus the bundled reference translation of the sample."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import urllib.parse

import pytest
from conftest import xglue_articles
from translation_server import PREFIX, ServerBehaviour, TranslationServer

import pipeline
from pipeline.model import Analysis, Quote
from pipeline.translate import (
    DATA_DIR,
    NO_REFERENCE_ERROR,
    REFERENCE_LABEL,
    UNREACHABLE,
    TranslationSettings,
    _Limits,
    _split_long_line,
    providers,
    translate_analysis,
)

REFERENCE_FILE = DATA_DIR / "sample_article.reference.json"
ENDPOINT_PATHS = {"libre": "", "google": "/m", "mymemory": "/get", "deepl": "/v2/"}


@pytest.fixture(scope="module")
def sample_analysis(sample_text) -> Analysis:
    return pipeline.analyze(sample_text)


@pytest.fixture
def analysis(sample_analysis) -> Analysis:
    """A fresh copy per test: translate_analysis fills Quote.translation in place."""
    return Analysis.from_dict(sample_analysis.to_dict())


@pytest.fixture(scope="module")
def reference_data() -> dict:
    return json.loads(REFERENCE_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def server():
    with TranslationServer() as running:
        yield running


def settings_for(server: TranslationServer, provider: str = "libre", tmp_path=None, **overrides):
    values = {
        "provider": provider,
        "url": server.url + ENDPOINT_PATHS[provider],
        "timeout": 2.0,
        "backoff": 0.01,
        "request_interval": 0.0,
        "cache_dir": tmp_path,
        "use_cache": tmp_path is not None,
    }
    values.update(overrides)
    return TranslationSettings(**values)


def normalise(text: str) -> str:
    return " ".join(text.split())


def expected_target(source: str) -> str:
    """What the local server's line-by-line translation gives for one sentence; line and
    paragraph breaks inside the sentence are kept."""
    parts = re.split(r"(\s*\n\s*)", source.strip())
    return "".join(
        ("\n\n" if part.count("\n") >= 2 else "\n") if i % 2 else PREFIX + normalise(part)
        for i, part in enumerate(parts)
    )


def sent_lines(server: TranslationServer) -> list[str]:
    return [line for r in server.requests for line in r.text.split("\n")]


def add_quotes(analysis: Analysis, snippets: list[str]) -> list[Quote]:
    """Quotes at the places where the given snippets occur in the article."""
    quotes = []
    for snippet in snippets:
        start = analysis.document.text.index(snippet)
        quotes.append(Quote(snippet, start, start + len(snippet)))
    analysis.quotes = quotes + analysis.quotes
    return quotes


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- alignment


def test_libre_translation_is_aligned_sentence_by_sentence(analysis, server):
    result = translate_analysis(analysis, settings_for(server))

    assert result.error is None and not result.partial
    assert result.label == "machine translation (LibreTranslate)"
    text = analysis.document.text
    spans = [(p.start, p.end) for p in result.sentences]
    assert spans == sorted(spans)
    assert len(result.sentences) == len([s for s, e in analysis.sentences if text[s:e].strip()])
    for pair in result.sentences:
        assert pair.source == text[pair.start : pair.end]
        assert pair.target == expected_target(pair.source)
    # the whole text: the targets in order, paragraph breaks kept
    position = 0
    for pair in result.sentences:
        position = result.text.index(pair.target, position) + len(pair.target)
    # paragraph breaks survive: one break in the translation per break in the article
    assert len(re.findall(r"\n+", result.text)) == len(re.findall(r"\n+", text.strip()))


@pytest.mark.parametrize("provider", ["google", "mymemory", "libre"])
def test_requests_stay_under_the_provider_limits(analysis, server, provider):
    limits = providers()[provider]
    analysis.quotes = []  # the article's sentences only
    result = translate_analysis(analysis, settings_for(server, provider))

    assert result.error is None
    assert len(server.requests) > 1  # the sample (8.9k chars) needs several requests
    for request in server.requests:
        assert 0 < len(request.text) <= limits.max_chars
        assert len(urllib.parse.quote_plus(request.text)) <= limits.max_encoded_chars
    # the article went out exactly once, in order, and nothing else
    lines = [normalise(line) for p in result.sentences for line in p.source.split("\n")]
    lines = list(dict.fromkeys(line for line in lines if re.search(r"\w", line)))
    assert " ".join(sent_lines(server)) == " ".join(lines)
    # requests are filled up, not one sentence each
    assert len(server.requests) <= 2 * len(analysis.document.text) // limits.max_chars + 2


def test_long_sentences_are_split_at_clauses_without_cutting_words(analysis, server):
    limit = 60
    analysis.quotes = []
    result = translate_analysis(analysis, settings_for(server, max_request_chars=limit))

    assert result.error is None and not result.partial
    assert all(len(r.text) <= limit for r in server.requests)
    words = {w for pair in result.sentences for w in pair.source.split()}
    sent_words = [w for line in sent_lines(server) for w in line.split(" ")]
    assert set(sent_words) <= words  # no word was cut
    long_pairs = [p for p in result.sentences if len(normalise(p.source)) > limit]
    assert long_pairs
    for pair in long_pairs:
        pieces = pair.target.replace("\n", " ").split(PREFIX)[1:]
        assert len(pieces) >= 2
        assert normalise(" ".join(pieces)) == normalise(pair.source)


def test_split_long_line_prefers_clause_marks_then_words_then_characters(sample_text):
    limits = _Limits(max_chars=100, max_encoded_chars=300)
    sentence = next(line for line in sample_text.split(". ") if len(line) > 250 and "–" in line)
    pieces = _split_long_line(sentence, limits)
    assert len(pieces) >= 3 and " ".join(pieces) == sentence
    assert all(limits.fits(p) for p in pieces)
    assert all(p.endswith((",", ";", ":", "–", "—")) for p in pieces[:-1])

    no_marks = re.sub(r"[,;:–—]", "", sentence)
    pieces = _split_long_line(no_marks, limits)
    assert " ".join(pieces) == no_marks and all(limits.fits(p) for p in pieces)

    token = "x" * 300
    pieces = _split_long_line(token, limits)
    assert "".join(pieces) == token and all(limits.fits(p) for p in pieces)

    umlauts = "ä" * 100  # 6 URL-encoded characters each: the encoded limit decides
    pieces = _split_long_line(umlauts, limits)
    assert "".join(pieces) == umlauts and all(limits.fits(p) for p in pieces)


def test_a_lost_line_break_falls_back_to_sentence_by_sentence(analysis):
    with TranslationServer(ServerBehaviour(merge_lines=True)) as server:
        result = translate_analysis(analysis, settings_for(server, "google"))
        requests_made = server.requests

    assert result.error is None and not result.partial
    for pair in result.sentences:
        assert pair.target == expected_target(pair.source)
    single = [r for r in requests_made if "\n" not in r.text]
    assert len(single) >= len(result.sentences)


# --------------------------------------------------------------------------- robustness


@pytest.mark.parametrize("status", [429, 503])
def test_throttling_and_unavailability_are_retried(analysis, status):
    behaviour = ServerBehaviour(fail_first=2, fail_status=status, retry_after="0")
    with TranslationServer(behaviour) as server:
        result = translate_analysis(analysis, settings_for(server, "google", retries=2))
        requests_made = server.requests

    assert result.error is None and not result.partial
    assert all(p.target == expected_target(p.source) for p in result.sentences)
    assert requests_made[0].text == requests_made[1].text == requests_made[2].text
    assert len({r.text for r in requests_made}) == len(requests_made) - 2


def test_persistent_throttling_stops_early_with_a_clear_error(analysis):
    with TranslationServer(ServerBehaviour(fail_first=10_000, fail_status=429)) as server:
        result = translate_analysis(analysis, settings_for(server, "libre", retries=1))
        requests_made = server.requests

    assert result.error.startswith(f"{UNREACHABLE}: HTTP 429")
    assert len(requests_made) == 2  # one request, one retry, then no more hammering
    assert all(p.target is None for p in result.sentences)


def test_a_stalled_server_does_not_hang_the_caller(analysis):
    with TranslationServer(ServerBehaviour(stall_seconds=30)) as server:
        started = time.monotonic()
        result = translate_analysis(analysis, settings_for(server, timeout=0.3, retries=1))
        elapsed = time.monotonic() - started

    assert elapsed < 5  # 2 requests x 2 attempts x 0.3 s, then it gives up
    assert result.error.startswith(UNREACHABLE) and "0.3 s" in result.error
    assert not result.partial and all(p.target is None for p in result.sentences)


def test_one_stalled_request_is_retried(analysis):
    with TranslationServer(ServerBehaviour(stall_seconds=30, stall_first=1)) as server:
        started = time.monotonic()
        result = translate_analysis(analysis, settings_for(server, "google", timeout=0.3))
        elapsed = time.monotonic() - started

    assert elapsed < 5
    assert result.error is None and not result.partial
    assert all(p.target == expected_target(p.source) for p in result.sentences)


def test_failing_sentences_leave_a_marked_partial_translation(analysis):
    marker = "Saudi-Arabien"
    with TranslationServer(ServerBehaviour(fail_containing=marker)) as server:
        result = translate_analysis(analysis, settings_for(server))

    failed = [p for p in result.sentences if p.target is None]
    assert result.partial and failed
    assert [p.source for p in failed] == [p.source for p in result.sentences if marker in p.source]
    for pair in result.sentences:
        if pair.target is not None:
            assert pair.target == expected_target(pair.source)
    assert result.error is None  # the page reads error as "no translation at all"
    assert all(p.source in result.text for p in failed)  # shown in the original language


def test_an_unreachable_service_gives_an_error_not_an_exception(analysis):
    before = analysis.to_dict()
    settings = TranslationSettings(
        "libre", url=f"http://127.0.0.1:{closed_port()}", timeout=1.0, backoff=0.01
    )
    started = time.monotonic()
    result = translate_analysis(analysis, settings)

    assert time.monotonic() - started < 5
    assert result.error.startswith(f"{UNREACHABLE}: cannot connect to 127.0.0.1")
    assert result.text == "" and not result.partial
    assert analysis.to_dict() == before  # the analysis itself is untouched


def test_concurrent_translations_keep_their_own_timeouts(sample_analysis):
    results: dict[str, tuple[float, object]] = {}

    def run(name, server, timeout):
        analysis = Analysis.from_dict(sample_analysis.to_dict())
        started = time.monotonic()
        result = translate_analysis(analysis, settings_for(server, timeout=timeout, retries=0))
        results[name] = (time.monotonic() - started, result)

    with (
        TranslationServer(ServerBehaviour(stall_seconds=30)) as stalled,
        TranslationServer(ServerBehaviour(stall_seconds=0.2)) as slow_but_fine,
    ):
        threads = [
            threading.Thread(target=run, args=("stalled", stalled, 0.3)),
            threading.Thread(target=run, args=("slow", slow_but_fine, 10.0)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=20)

    stalled_seconds, stalled_result = results["stalled"]
    assert stalled_seconds < 3 and stalled_result.error.startswith(UNREACHABLE)
    assert results["slow"][1].error is None and not results["slow"][1].partial


def test_configuration_problems_are_reported(analysis, monkeypatch):
    monkeypatch.delenv("DEEPL_API_KEY", raising=False)
    assert "DEEPL_API_KEY" in translate_analysis(analysis, TranslationSettings("deepl")).error
    assert "server URL" in translate_analysis(analysis, TranslationSettings("libre")).error
    unknown = translate_analysis(analysis, "babelfish")
    assert unknown.error.startswith("unknown translation provider") and "libre" in unknown.error
    # tests/conftest.py sets NEWSLENS_OFFLINE_TESTS: public services are never called
    assert "offline tests" in translate_analysis(analysis, "google").error


# --------------------------------------------------------------------------- providers


def test_deepl_posts_with_the_key_in_the_header_never_in_the_url(analysis, monkeypatch):
    key = "0123-test-key:fx"
    monkeypatch.setenv("DEEPL_API_KEY", key)
    with TranslationServer(ServerBehaviour(required_key=key)) as server:
        result = translate_analysis(analysis, settings_for(server, "deepl"))
        assert result.error is None
        assert all(p.target == expected_target(p.source) for p in result.sentences)
        assert all("auth_key" not in r.params for r in server.requests)
        assert all(r.method == "POST" and r.path == "/v2/translate" for r in server.requests)

        wrong = translate_analysis(analysis, settings_for(server, "deepl", api_key="wrong-key"))
    assert wrong.error.startswith("translation service refused the request: HTTP 403")
    assert "wrong-key" not in wrong.error


def test_mymemory_gets_its_regional_language_codes(analysis, server):
    result = translate_analysis(analysis, settings_for(server, "mymemory"))
    assert result.error is None
    assert {r.params["langpair"] for r in server.requests} == {"de-DE|en-GB"}


def test_mymemory_quota_warning_is_not_taken_for_a_translation(analysis, server, tmp_path):
    server.behaviour.mymemory_quota_spent = True
    spent = translate_analysis(analysis, settings_for(server, "mymemory", tmp_path=tmp_path))
    assert spent.error.startswith(f"{UNREACHABLE}: MyMemory reports 429")
    assert len(server.requests) == 1 and all(p.target is None for p in spent.sentences)

    server.behaviour.mymemory_quota_spent = False  # nothing of the warning was cached
    result = translate_analysis(analysis, settings_for(server, "mymemory", tmp_path=tmp_path))
    assert result.error is None and "WARNING" not in result.text


def test_libre_key_is_sent_only_when_there_is_one(analysis, server):
    translate_analysis(analysis, settings_for(server, "libre"))
    assert all("api_key" not in r.params for r in server.requests)
    server.behaviour.required_key = "libre-key"
    result = translate_analysis(analysis, settings_for(server, "libre", api_key="libre-key"))
    assert result.error is None


def test_quotes_get_machine_translations(analysis, server):
    text = analysis.document.text
    found_by_pipeline = list(analysis.quotes)
    direct, fragment = add_quotes(
        analysis,
        ["„Unser ultimatives Ziel ist es, ein Robotergehirn zu bauen.“", "Noch ist das Konzept"],
    )
    result = translate_analysis(analysis, settings_for(server))

    # (the fake service puts its prefix before the quote mark a real one translates)
    assert re.sub("[„“]", "", direct.translation) == PREFIX + normalise(direct.text.strip("„“"))
    assert fragment.translation == PREFIX + fragment.text
    sentence_lines = {normalise(line) for p in result.sentences for line in p.source.split("\n")}
    quote_requests = [line for line in sent_lines(server) if line not in sentence_lines]

    # quotes that are whole sentences reuse the sentence's translation; the others are sent
    def bare(t):
        return re.sub(r"[„“.!?\s]+$", "", re.sub(r"^[„“\s]+", "", normalise(t)))

    whole_sentences = {bare(p.source) for p in result.sentences}
    own = {
        normalise(q.text).strip("„“ ")
        for q in analysis.quotes
        if bare(q.text) not in whole_sentences
    }
    assert fragment.text in own and direct.text.strip("„“") not in own
    assert sorted(quote_requests) == sorted(own - sentence_lines)
    for quote in found_by_pipeline:
        assert quote.translation and quote.translation.startswith(PREFIX)
        assert normalise(quote.text).rstrip(".") in normalise(text)


# --------------------------------------------------------------------------- cache


def test_cache_means_no_second_request(analysis, server, tmp_path):
    first = translate_analysis(analysis, settings_for(server, tmp_path=tmp_path))
    sent = len(server.requests)
    again = translate_analysis(
        Analysis.from_dict(analysis.to_dict()), settings_for(server, tmp_path=tmp_path)
    )

    assert sent > 0 and len(server.requests) == sent
    assert again.sentences == first.sentences and again.text == first.text
    assert (tmp_path / "translations.sqlite3").exists()

    # another endpoint or language pair is another cache entry
    other = settings_for(server, "google", tmp_path=tmp_path)
    translate_analysis(analysis, other)
    assert len(server.requests) > sent


def test_cache_directory_from_the_environment(analysis, server, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSLENS_CACHE_DIR", str(tmp_path / "cache"))
    settings = settings_for(server, use_cache=True)
    translate_analysis(analysis, settings)
    assert (tmp_path / "cache" / "translations.sqlite3").exists()


def test_an_unusable_cache_directory_only_disables_the_cache(analysis, server, tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("in the way")
    result = translate_analysis(analysis, settings_for(server, tmp_path=not_a_directory))
    assert result.error is None and not result.partial
    assert not_a_directory.read_text() == "in the way"


def test_partial_results_are_cached_and_completed_later(analysis, tmp_path):
    marker = "Saudi-Arabien"
    with TranslationServer(ServerBehaviour(fail_containing=marker)) as server:
        partial = translate_analysis(analysis, settings_for(server, tmp_path=tmp_path))
        sent = len(server.requests)
        server.behaviour.fail_containing = None  # the service recovers
        complete = translate_analysis(analysis, settings_for(server, tmp_path=tmp_path))
        retried = server.requests[sent:]
    assert retried and all(marker in r.text for r in retried)  # only what failed before
    assert partial.partial and not complete.partial and complete.error is None


# --------------------------------------------------------------------------- pipeline


def test_pipeline_analyze_translates_when_asked(sample_text, server):
    analysis = pipeline.analyze(sample_text, translate=settings_for(server))
    assert analysis.translation is not None and analysis.translation.error is None
    assert "translation" in analysis.timings
    restored = Analysis.from_dict(json.loads(json.dumps(analysis.to_dict())))
    assert restored.translation == analysis.translation


# --------------------------------------------------------------------------- reference


def test_reference_data_is_aligned_with_the_sample(sample_text, reference_data):
    text = normalise(sample_text)
    position = 0
    covered = 0
    for pair in reference_data["sentences"]:
        source, target = normalise(pair["source"]), pair["target"]
        index = text.index(source, position)
        assert text[position:index].strip() == ""  # no sentence left out
        position = index + len(source)
        covered += len(source)
        assert target.strip() and target != pair["source"]
    assert text[position:].strip() == ""
    for quote in reference_data["quotes"]:
        assert all(part in text for part in quote["source"].split(". "))


def test_reference_translation_of_the_sample(analysis, reference_data):
    result = translate_analysis(analysis, "reference")

    assert result.error is None and not result.partial
    assert result.label == REFERENCE_LABEL and result.provider == "reference"
    text = analysis.document.text
    covered = set()
    for pair in result.sentences:
        assert pair.target and pair.source == text[pair.start : pair.end]
        covered.update(range(pair.start, pair.end))
    for start, end in analysis.sentences:
        if text[start:end].strip():
            assert any(i in covered for i in range(start, end))
    # every reference sentence appears once, in order
    position = 0
    for pair in reference_data["sentences"]:
        position = result.text.index(pair["target"], position) + len(pair["target"])
    assert result.text.startswith(reference_data["sentences"][0]["target"] + "\n\n")


@pytest.mark.parametrize("split", ["lines", "clauses"])
def test_reference_survives_other_sentence_splits(analysis, reference_data, split):
    text = analysis.document.text
    if split == "lines":  # coarser: one "sentence" per paragraph
        analysis.sentences = [(m.start(), m.end()) for m in re.finditer(r"[^\n]+", text)]
    else:  # finer: sentences cut after every comma
        analysis.sentences = [(m.start(), m.end()) for m in re.finditer(r"[^,\n]+,?", text)]
    result = translate_analysis(analysis, "reference")

    assert result.error is None and not result.partial
    joined = "\n".join(p.target for p in result.sentences)
    for pair in reference_data["sentences"]:
        assert joined.count(pair["target"]) >= 1
    if split == "lines":
        assert len(result.sentences) == len([m for m in re.finditer(r"\S[^\n]*", text)])


def test_reference_quotes_come_from_the_quote_map(analysis, reference_data):
    text = analysis.document.text
    direct, indirect = add_quotes(
        analysis,
        [
            "„Unser ultimatives Ziel ist es, ein Robotergehirn zu bauen.“",
            "Rechenzentren, die für Sprachmodelle ausgelegt sind, reichten für visuelle KI",
        ],
    )
    # a quote interrupted by its speaker: „…“, betont Luma-Gründer Jain. „…“
    start = text.index("„Unsere größte Konkurrenz")
    end = text.index("entscheidend.“", start) + len("entscheidend.“")
    interrupted = Quote(text[start:end], start, end)
    analysis.quotes.append(interrupted)
    quote_map = {normalise(q["source"]): q["target"] for q in reference_data["quotes"]}
    sentence_map = {normalise(s["source"]): s["target"] for s in reference_data["sentences"]}

    translate_analysis(analysis, "reference")

    assert direct.translation == quote_map[normalise(direct.text.strip("„“"))]
    first, _, second = (normalise(part) for part in re.split("[„“]+", interrupted.text)[1:4])
    assert interrupted.translation == f"{quote_map[first]} {quote_map[second]}"
    indirect_sentence = next(s for s in sentence_map if s.startswith(indirect.text))
    assert indirect.translation == sentence_map[indirect_sentence]
    assert all(q.translation for q in analysis.quotes)
    for quote in analysis.quotes:  # the pipeline's own quotes, where the map knows them
        key = re.sub(r"[.!?]+$", "", normalise(quote.text).strip("„“ "))
        mapped = [t for source, t in quote_map.items() if source.rstrip(".!?") == key]
        if mapped:
            assert quote.translation == mapped[0]


def test_reference_for_the_sample_uploaded_as_pdf(sample_paragraphs):
    from conftest import make_pdf

    from pipeline.ingest import read_document

    analysis = pipeline.analyze(read_document(make_pdf(sample_paragraphs), "luma.pdf"))
    result = translate_analysis(analysis, "reference")
    assert result.error is None and not result.partial
    assert all(p.target for p in result.sentences)


def test_reference_for_an_edited_sample_is_marked_partial(sample_text):
    added = "Die Redaktion hat diesen Satz nachträglich eingefügt."
    edited = sample_text.replace("Ray 3 löste einen massiven Höhenflug aus.", added)
    result = translate_analysis(pipeline.analyze(edited), "reference")

    assert result.label == REFERENCE_LABEL and result.partial
    assert result.error is None
    assert [p.source for p in result.sentences if p.target is None] == [added]
    assert added in result.text  # shown in the original language


def test_no_reference_for_another_article():
    row = next(r for r in xglue_articles(50) if r["id"] == "xglue-nc-dev-0000")
    analysis = pipeline.analyze(row["title"] + "\n\n" + row["body"])
    result = translate_analysis(analysis, "reference")
    assert result.error == NO_REFERENCE_ERROR
    assert result.sentences == [] and result.text == ""


def test_reference_is_chosen_from_the_cli_and_app_by_name(sample_text):
    analysis = pipeline.analyze(sample_text, translate="reference")
    assert analysis.translation.label == REFERENCE_LABEL


# --------------------------------------------------------------------------- stale quotes


@pytest.mark.parametrize(
    "settings",
    [
        TranslationSettings("deepl"),  # no key (DEEPL_API_KEY removed below)
        TranslationSettings("google"),  # offline tests: public services never called
        TranslationSettings("babelfish"),  # unknown provider
        TranslationSettings("reference", target_language="fr"),  # no such reference
        TranslationSettings("libre"),  # no server URL
    ],
    ids=["deepl-no-key", "offline", "unknown", "no-reference", "libre-no-url"],
)
def test_a_failed_translation_clears_the_previous_quote_translations(
    analysis, settings, monkeypatch
):
    """The sample opens with the reference translation; a provider that then fails must not
    leave the reference English on the quotes (the page and the exports would show it)."""
    from pipeline.export import markdown_report, quotes_csv

    monkeypatch.delenv("DEEPL_API_KEY", raising=False)
    analysis.translation = translate_analysis(analysis, "reference")
    stale = [q.translation for q in analysis.quotes if q.translation]
    assert stale, "the reference translates the sample's quotes"

    analysis.translation = translate_analysis(analysis, settings)

    assert analysis.translation.error
    assert all(q.translation is None for q in analysis.quotes)
    exported = quotes_csv(analysis) + markdown_report(analysis)
    assert not any(text in exported for text in stale)
