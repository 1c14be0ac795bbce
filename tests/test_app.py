"""The explorer page under Streamlit's AppTest: every view, sources, errors, hostile text.

Views are exercised twice: on whatever the real pipeline finds in the sample (robust to
which NER model is installed) and on a gold analysis of the sample built from the text
itself (names located with ``str.find``), so highlights, quote grouping, selections and
company filters are checked whatever the model.
"""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from conftest import ROOT, SAMPLE_PATH, make_docx
from streamlit.testing.v1 import AppTest

from components import FOCUS
from components.html import _non_overlapping
from components.sources import (
    ARTICLES,
    CURRENT,
    ERRORS,
    add_results,
    load_files,
)
from pipeline.ingest import read_document
from pipeline.model import (
    Analysis,
    CanonicalEntity,
    Company,
    Entity,
    Quote,
)

TIMEOUT = 180
HOSTILE_TEXT = (
    "Hacker <script>window.__pwned=1</script> greifen Berlin an\n\n"
    'Ein Bild <img src=x onerror="window.__pwned=1"> zeigt **fett** und '
    "[Link](javascript:alert(1)) sowie :red[rot].\n\n"
    "# Keine Überschrift\n\n"
    "„Wir sind sicher“, sagt der Sprecher der Firma. Die Polizei in Berlin ermittelt."
)


@pytest.fixture(autouse=True)
def library_in_tmp(tmp_path_factory, monkeypatch):
    """The Library tab must never write into the user's data directory."""
    monkeypatch.setenv("NEWSLENS_DATA_DIR", str(tmp_path_factory.mktemp("library")))


def new_app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def articles(at: AppTest) -> dict[str, Analysis]:
    return at.session_state[ARTICLES]


def current(at: AppTest) -> Analysis:
    return articles(at)[at.session_state[CURRENT]]


def html_bodies(at: AppTest) -> list[str]:
    return [element.value for element in at.html]


def article_markup(at: AppTest) -> str:
    bodies = [b for b in html_bodies(at) if 'class="nl-article"' in b or 'class="nl-sbs"' in b]
    assert len(bodies) == 1, "exactly one article view"
    return bodies[0]


def all_text_elements(at: AppTest) -> list[str]:
    """Values of every element that renders Markdown."""
    values = []
    for kind in ("markdown", "caption", "error", "warning", "info", "success"):
        values += [str(e.value) for e in getattr(at, kind)]
    return values


def button(at: AppTest, label: str, key_prefix: str | None = None):
    matches = [
        b
        for b in at.button
        if b.label == label and (key_prefix is None or (b.key or "").startswith(key_prefix))
    ]
    assert matches, f"no button {label!r}"
    return matches[0]


def switch_view(at: AppTest, view: str) -> None:
    at.session_state["nl_view"] = view
    at.run()
    assert not at.exception, [e.value for e in at.exception]


class Marks(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: list[str] = []
        self.focus: list[str] = []
        self._stack: list[list[str]] = []
        self._kinds: list[str] = []

    def handle_starttag(self, tag, attrs):
        classes = dict(attrs).get("class") or ""
        kind = "mark" if tag == "mark" else ("focus" if "nl-focus" in classes else "")
        self._kinds.append(kind)
        self._stack.append([])

    def handle_endtag(self, tag):
        kind, parts = self._kinds.pop(), self._stack.pop()
        text = "".join(parts)
        if self._stack:
            self._stack[-1].append(text)
        if kind == "mark":
            self.marks.append(text)
        elif kind == "focus":
            self.focus.append(text)

    def handle_data(self, data):
        if self._stack:
            self._stack[-1].append(data)


def parse_marks(markup: str) -> Marks:
    parser = Marks()
    parser.feed(markup)
    return parser


# --------------------------------------------------------------------------- gold analysis


def spans_of(text: str, needle: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(re.escape(needle), text)]


def gold_analysis(base: Analysis) -> Analysis:
    """The sample with hand-located entities, quotes and companies (test gold)."""
    text = base.document.text
    names = {
        ("Amit Jain", "PER"): ["Amit Jain"],
        ("Luma", "ORG"): ["Luma"],
        ("OpenAI", "ORG"): ["OpenAI"],
        ("Google", "ORG"): ["Google"],
        ("Saudi-Arabien", "LOC"): ["Saudi-Arabien"],
        ("900 Millionen Dollar", "MONEY"): ["900 Millionen Dollar"],
    }
    entities, canonical = [], []
    for (name, label), needles in names.items():
        mentions = [s for needle in needles for s in spans_of(text, needle)]
        # "Luma" inside "Luma-Gründer" stays a mention; "Lumas" too — fine for gold
        canonical.append(CanonicalEntity(name, label, sorted(mentions)))
        entities += [Entity(text[s:e], label, s, e, name) for s, e in mentions]
    said = "„Das Modell war nicht sehr gut, hat aber Spaß gemacht"
    q1 = text.index(said)
    q1_end = text.index("“", q1) + 1
    jain = text.index("Jain", q1_end)
    q2_text = "„Bis die Roboter-KI so weit ist, wird es aber noch ein paar Jahre dauern.“"
    q2 = text.index(q2_text)
    q3 = text.index("„Unsere größte Konkurrenz sind Unternehmen wie Alibaba“")
    q3_end = text.index("“", q3) + 1
    quotes = [
        Quote(text[q1:q1_end], q1, q1_end, "direct", "Amit Jain", jain, jain + 4, "sagt"),
        Quote(q2_text, q2, q2 + len(q2_text), "direct", None),
        Quote(text[q3:q3_end], q3, q3_end, "direct", "Amit Jain", cue="betont"),
    ]
    companies = [
        Company("Luma", "subject", "US", ["Dream Machine", "Ray 3"], len(spans_of(text, "Luma"))),
        Company("OpenAI", "competitor", "US", ["Sora"], len(spans_of(text, "OpenAI"))),
        Company("Google", "competitor", "US", ["Veo"], len(spans_of(text, "Google"))),
    ]
    return Analysis(
        document=base.document,
        sentences=base.sentences,
        entities=sorted(entities, key=lambda e: e.start),
        canonical_entities=canonical,
        quotes=quotes,
        companies=companies,
        translation=base.translation,
        model="gold",
    )


def app_with_gold() -> tuple[AppTest, Analysis]:
    at = new_app()
    gold = gold_analysis(current(at))
    articles(at)[gold.doc_id] = gold
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert current(at).model == "gold"
    return at, gold


# --------------------------------------------------------------------------- the real page


def test_sample_is_loaded_at_start_with_header_metrics_and_article():
    at = new_app()
    assert len(articles(at)) == 1
    analysis = current(at)
    assert analysis.document.source == "luma-deepseek-interview.de.txt"
    header = next(b for b in html_bodies(at) if 'class="nl-header"' in b)
    assert html.escape(analysis.document.title) in header
    assert analysis.model and html.escape(analysis.model) in header
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sentences"] == str(len(analysis.sentences))
    assert metrics["Quotes"] == str(len(analysis.quotes))
    assert [t.label for t in at.tabs][:1] == ["Explore"]


def test_sample_shows_reference_translation_side_by_side():
    at = new_app()
    analysis = current(at)
    translation = analysis.translation
    assert translation is not None and translation.provider == "reference"
    assert translation.error is None
    markup = article_markup(at)
    assert markup.count("<tr>") == len(translation.sentences) + 1  # + header row
    # Toggle off: the plain article with its paragraphs.
    at.toggle(key=f"sbs-{analysis.doc_id}").set_value(False).run()
    markup = article_markup(at)
    paragraphs = [p for p in analysis.document.text.split("\n") if p.strip()]
    assert markup.count("<p>") == len(paragraphs)


def test_entity_marks_follow_the_pipeline_result():
    at = new_app()
    analysis = current(at)
    at.toggle(key=f"sbs-{analysis.doc_id}").set_value(False).run()
    marks = parse_marks(article_markup(at)).marks
    assert marks == [e.text for e in _non_overlapping(analysis.entities)]
    if not analysis.entities:
        assert any("No entities" in v for v in all_text_elements(at))


def test_each_view_renders_on_the_real_analysis():
    at = new_app()
    analysis = current(at)
    tab_labels = [t.label for t in at.tabs]
    assert f"Quotes ({len(analysis.quotes)})" in tab_labels
    assert f"Entities ({len(analysis.canonical_entities)})" in tab_labels
    if analysis.quotes:
        speakers = {q.speaker or "— unknown —" for q in analysis.quotes}
        headings = " ".join(b for b in html_bodies(at) if "nl-speaker" in b)
        for speaker in speakers:
            assert html.escape(speaker) in headings
    for view in ("Compare", "Export", "Library"):
        switch_view(at, view)
    switch_view(at, "Export")
    labels = [b.label for b in at.get("download_button")]
    assert labels[:5] == [
        "JSON (full analysis)",
        "Entities CSV",
        "Quotes CSV",
        "Companies CSV",
        "Markdown report",
    ]


# --------------------------------------------------------------------------- gold views


def test_entities_table_selection_highlights_all_mentions():
    at, gold = app_with_gold()
    table = next(d for d in at.dataframe if d.key == f"entities-{gold.doc_id}")
    frame = table.value
    assert len(frame) == len(gold.canonical_entities)
    row = int(frame.index[frame["name"] == "OpenAI"][0])
    at.session_state[f"entities-{gold.doc_id}"] = {
        "selection": {"rows": [row], "columns": [], "cells": []}
    }
    at.run()
    focus = at.session_state[FOCUS]
    assert focus["kind"] == "entity" and focus["name"].startswith("OpenAI")
    found = parse_marks(article_markup(at)).focus
    assert found == ["OpenAI"] * len(spans_of(gold.document.text, "OpenAI"))
    # The label filter drops marks but keeps the focus.
    at.button_group(key=f"labels-{gold.doc_id}").set_value(["PER"]).run()
    parsed = parse_marks(article_markup(at))
    assert set(parsed.marks) == {"Amit Jain"}
    assert parsed.focus == ["OpenAI"] * len(spans_of(gold.document.text, "OpenAI"))


def test_quotes_grouped_by_speaker_with_show_in_article_and_filter():
    at, gold = app_with_gold()
    headings = [b for b in html_bodies(at) if 'class="nl-speaker"' in b]
    assert [re.search(r"<b>(.*?)</b>", h).group(1) for h in headings] == [
        "Amit Jain",
        "— unknown —",
    ]
    cards = [b for b in html_bodies(at) if 'class="nl-quote"' in b]
    assert len(cards) == len(gold.quotes)
    # Translation beside the original (the reference translation's sentences).
    assert all('class="nl-q-en"' in c for c in cards)
    button(at, "Show in article", f"quote-{gold.doc_id}-1").click().run()
    # (side by side, a quote may straddle a sentence row: its pieces join up)
    assert "".join(parse_marks(article_markup(at)).focus) == gold.quotes[1].text
    # Speaker filter: only the unknown speaker's quote remains.
    at.multiselect(key=f"speakers-{gold.doc_id}").set_value(["— unknown —"]).run()
    cards = [b for b in html_bodies(at) if 'class="nl-quote"' in b]
    assert len(cards) == 1 and html.escape(gold.quotes[1].text[:20]) in cards[0]


def test_company_selection_filters_quotes_and_highlights_mentions():
    at, gold = app_with_gold()
    key = f"company-table-{gold.doc_id}"
    frame = next(d for d in at.dataframe if d.key == key).value
    row = int(frame.index[frame["name"] == "OpenAI"][0])
    at.session_state[key] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    assert parse_marks(article_markup(at)).focus == ["OpenAI"] * len(
        spans_of(gold.document.text, "OpenAI")
    )
    # No gold quote names OpenAI: the filtered panel says so, and "All quotes" restores.
    assert not [b for b in html_bodies(at) if 'class="nl-quote"' in b]
    button(at, "All quotes").click().run()
    assert len([b for b in html_bodies(at) if 'class="nl-quote"' in b]) == len(gold.quotes)
    # A company named inside a quote: Luma's quotes are the ones containing "Luma".
    at.session_state[key] = {
        "selection": {
            "rows": [int(frame.index[frame["name"] == "Luma"][0])],
            "columns": [],
            "cells": [],
        }
    }
    at.run()
    cards = [b for b in html_bodies(at) if 'class="nl-quote"' in b]
    assert len(cards) == sum("Luma" in q.text for q in gold.quotes)


def test_competitor_charts_render_as_vega_lite():
    at, gold = app_with_gold()
    charts = at.get("vega_lite_chart") + at.get("arrow_vega_lite_chart")
    assert charts, "the competitors panel draws Altair charts"


# --------------------------------------------------------------------------- sources


def test_paste_box_adds_an_article_and_shows_it():
    at = new_app()
    text = (
        "Siemens kauft Start-up aus München\n\n"
        "Der Konzern Siemens übernimmt das Münchner Start-up Quantum Labs für 200 Millionen "
        "Euro. „Wir investieren in die Zukunft“, sagt Vorstandschef Roland Busch."
    )
    at.text_area(key="nl_paste").set_value(text)
    button(at, "Analyse pasted text").click().run()
    assert not at.exception
    assert len(articles(at)) == 2
    assert current(at).document.source == "pasted text"
    header = next(b for b in html_bodies(at) if 'class="nl-header"' in b)
    assert "Siemens kauft Start-up aus München" in header
    # Empty paste: a message, nothing added.
    at.text_area(key="nl_paste").set_value("   ")
    button(at, "Analyse pasted text").click().run()
    assert len(articles(at)) == 2
    assert any("contains no text" in e.value for e in at.error)


def test_upload_two_files_through_the_uploader_and_compare():
    at = new_app()
    paragraphs = [p for p in SAMPLE_PATH.read_text(encoding="utf-8").split("\n") if p.strip()]
    docx = make_docx(paragraphs[5:12], title="Luma baut ein Robotergehirn")
    at.file_uploader(key="nl_uploader").set_value(
        [
            ("hostile.txt", HOSTILE_TEXT.encode("utf-8"), "text/plain"),
            (
                "robot.docx",
                docx,
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
        ]
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    loaded = articles(at)
    assert len(loaded) == 3
    assert current(at).document.source == "robot.docx"
    assert not at.session_state[ERRORS]
    switch_view(at, "Compare")
    selected = at.multiselect(key="nl_compare")
    assert len(selected.value) == 3
    overview = at.dataframe[0].value
    assert set(overview["id"]) == set(loaded)
    # Same files again (a rerun with the uploader still holding them): no duplicates.
    at.run()
    assert len(articles(at)) == 3


def test_bad_uploads_report_per_file_and_keep_loaded_articles():
    at = new_app()
    before = dict(articles(at))
    shown = at.session_state[CURRENT]
    at.file_uploader(key="nl_uploader").set_value(
        [
            ("empty.txt", b"", "text/plain"),
            ("binary.txt", bytes(range(256)) * 40, "text/plain"),
            ("broken.pdf", b"%PDF-1.7\n" + bytes(range(256)) * 8, "application/pdf"),
        ]
    ).run()
    assert not at.exception
    assert articles(at).keys() == before.keys()
    assert at.session_state[CURRENT] == shown
    errors = [e.value for e in at.error]
    for name in ("empty", "binary", "broken"):
        assert any(name in message for message in errors), (name, errors)
    assert len(at.session_state[ERRORS]) == 3


def test_upload_handler_with_real_bytes_keeps_going_after_a_failure():
    docs = []

    def analyse(document):
        docs.append(document.source)
        from pipeline import analyze

        return analyze(document)

    progress = []
    results = load_files(
        [
            (
                "leer.md",
                b"  \n ",
            ),
            ("sample.txt", SAMPLE_PATH.read_bytes()),
            ("bild.png", b"\x89PNG\r\n\x1a\n" + bytes(200)),
        ],
        analyse,
        lambda i, n, name: progress.append((i, n, name)),
    )
    assert [r.name for r in results] == ["leer.md", "sample.txt", "bild.png"]
    assert [r.error is None for r in results] == [False, True, False]
    assert docs == ["sample.txt"]
    assert progress[0] == (0, 3, "leer.md") and progress[-1] == (3, 3, "")
    store: dict[str, Analysis] = {}
    assert add_results(store, results) == results[1].analysis.doc_id
    assert list(store) == [read_document(SAMPLE_PATH.read_bytes(), "x.txt").doc_id]


def test_remove_article_switches_to_another():
    at = new_app()
    at.text_area(key="nl_paste").set_value("Ein kurzer Text über Berlin und Paris.")
    button(at, "Analyse pasted text").click().run()
    assert len(articles(at)) == 2
    switch_view(at, "Compare")
    assert len(at.multiselect(key="nl_compare").value) == 2
    button(at, "Remove this article").click().run()
    assert not at.exception
    assert len(articles(at)) == 1
    assert current(at).document.source == "luma-deepseek-interview.de.txt"
    assert any("two or more" in i.value for i in at.info)


# --------------------------------------------------------------------------- safety


def test_hostile_text_is_escaped_everywhere():
    at = new_app()
    at.text_area(key="nl_paste").set_value(HOSTILE_TEXT)
    button(at, "Analyse pasted text").click().run()
    assert not at.exception
    assert current(at).document.source == "pasted text"
    for body in html_bodies(at):
        lowered = body.lower()
        assert "<script" not in lowered and "<img" not in lowered, body[:200]
        assert "onerror=" not in lowered.replace("onerror=&quot;", "")
    markup = article_markup(at)
    assert "&lt;script&gt;" in markup and "&lt;img src=x" in markup
    assert "**fett**" in html.unescape(markup) and ":red[rot]" in html.unescape(markup)
    for value in all_text_elements(at):
        assert "<script" not in value and "](javascript" not in value
    # The title reaches widgets as plain text (selectbox options are not Markdown).
    switch_view(at, "Compare")
    assert not at.exception


def test_translation_provider_unreachable_is_stated_and_page_keeps_working():
    at = new_app()
    analysis = current(at)
    at.selectbox(key="nl_provider").set_value("libre").run()
    at.text_input(key="nl_libre_url").set_value("http://127.0.0.1:9").run()
    button(at, "Translate to English").click().run()
    assert not at.exception
    translation = current(at).translation
    assert translation.provider == "libre" and translation.error
    warnings = [w.value for w in at.warning]
    assert any("unavailable" in w for w in warnings), warnings
    # Without a working translation the plain article is shown.
    assert 'class="nl-article"' in article_markup(at)
    assert current(at).doc_id == analysis.doc_id


def test_deepl_without_secrets_file_does_not_crash(monkeypatch):
    monkeypatch.delenv("DEEPL_API_KEY", raising=False)
    at = new_app()
    at.selectbox(key="nl_provider").set_value("deepl").run()
    assert not at.exception
    assert any("DEEPL_API_KEY" in c.value for c in at.caption)


def test_save_to_library_then_open_it_from_the_library_tab():
    at = new_app()
    at.text_area(key="nl_paste").set_value("Bosch und Siemens investieren in Stuttgart.")
    button(at, "Analyse pasted text").click().run()
    saved = current(at)
    button(at, "Save to library").click().run()
    assert not at.exception and not at.error
    button(at, "Remove this article").click().run()
    assert saved.doc_id not in articles(at)
    switch_view(at, "Library")
    table = next(d for d in at.dataframe if d.key == "library_table")
    row = list(table.value["id"]).index(saved.doc_id)
    at.session_state["library_table"] = {"selection": {"rows": [row], "columns": [], "cells": []}}
    at.run()
    button(at, "Open", "library_open").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state[CURRENT] == saved.doc_id
    assert current(at).to_dict() == saved.to_dict()
    assert at.session_state["nl_view"] == "Explore"


def test_document_notices_are_shown():
    at = new_app()
    english = (
        "Apple opens a new office in London\n\n"
        "The company said on Tuesday that it will hire two hundred engineers in the city. "
        "The chief executive called London an important market for the years ahead."
    )
    at.text_area(key="nl_paste").set_value(english)
    button(at, "Analyse pasted text").click().run()
    notices = current(at).document.notices
    assert notices, "the ingest stage flags non-German text"
    shown = " ".join(w.value for w in at.warning).replace("\\", "")
    for notice in notices:
        assert notice in shown


# --------------------------------------------------------------------------- review fixes


ROGUE_TITLE = "![x](https://evil.example/p.png) [klick](https://evil.example) :red[rot]"


def test_compare_survives_titles_like_its_columns_and_escapes_them_in_help():
    """Article titles become column names of the shared-entities table: "entity" and
    "label" used to crash the tab, "total" overwrote the sums, and the column help (rendered
    as Markdown) showed remote images and links."""
    import json
    from dataclasses import replace

    from components.html import md_escape

    at, gold = app_with_gold()
    titles = ["entity", "label", "total", ROGUE_TITLE]
    for i, title in enumerate(titles):
        copy = Analysis.from_dict(gold.to_dict())
        copy.document = replace(gold.document, text=gold.document.text + " " * (i + 1), title=title)
        articles(at)[copy.doc_id] = copy
    switch_view(at, "Compare")

    shared = next(d for d in at.dataframe if "articles" in d.value.columns)
    frame = shared.value
    assert frame.columns.is_unique
    article_columns = list(frame.columns[4:])
    assert len(article_columns) == len(titles) + 1  # and the gold article itself
    luma = frame.set_index("entity").loc["Luma"]
    count = next(c.count for c in gold.canonical_entities if c.name == "Luma")
    assert [luma[c] for c in article_columns] == [count] * len(article_columns)
    assert luma["mentions"] == count * len(article_columns)

    config = json.loads(shared.proto.columns)
    helps = [config[c]["help"] for c in article_columns]
    assert md_escape(ROGUE_TITLE) in helps
    assert all("](" not in h and ":red[" not in h for h in helps)


def test_save_button_offers_an_update_once_the_article_is_stored():
    at = new_app()
    button(at, "Save to library").click().run()
    assert not at.exception and not at.error
    at.run()
    assert button(at, "Update in library", "nl_save")
    assert not [b for b in at.button if b.label == "Save to library"]


def test_save_button_is_off_for_a_read_only_library(tmp_path, monkeypatch):
    import components.library as library_view
    from pipeline.library import open_library

    path = tmp_path / "library.duckdb"
    open_library(path).close()
    read_only = open_library(path, read_only=True)
    monkeypatch.setattr(library_view, "cached_library", lambda path=None: read_only)
    try:
        at = new_app()
        assert button(at, "Save to library", "nl_save").disabled
    finally:
        read_only.close()
