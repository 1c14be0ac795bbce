"""NewsLens explorer page: ``streamlit run app.py``.

Wires page state, caching and layout; the views live in ``components/`` and the analysis
in ``pipeline/`` (no NLP here). Analyses are cached by content hash, the spaCy model once
per process, and every interaction re-renders from session state.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import streamlit as st

from components.article import render_article, render_header
from components.compare import render_compare, selected_analyses
from components.competitors import render_competitors
from components.entities import render_entities
from components.export import render_export
from components.html import md_escape, stylesheet
from components.quotes import render_quotes
from components.sources import ARTICLES, CURRENT, load_one, render_sources
from components.translation import (
    TranslationRequest,
    render_translation_controls,
    render_translation_status,
)
from pipeline import analyze
from pipeline.ingest import read_document
from pipeline.model import Analysis, Document, Translation
from pipeline.nlp import load_nlp

SAMPLE_PATH = Path(__file__).resolve().parent / "pipeline" / "data" / "sample_article.de.txt"
SAMPLE_NAME = "luma-deepseek-interview.de.txt"
VIEWS = ["Explore", "Compare", "Export", "Library"]
VIEW = "nl_view"
PENDING = "nl_pending"  # {"current": id, "view": name} applied before widgets exist


# --------------------------------------------------------------------------- caching


@st.cache_resource(show_spinner="Loading the language model…")
def language_model():
    return load_nlp()


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_analysis(doc_id: str, title: str, _document: Document) -> Analysis:
    """Keyed by the text's hash and the title (the companies stage reads the title)."""
    language_model()
    return analyze(_document)


def analyse(document: Document) -> Analysis:
    analysis = _cached_analysis(document.doc_id, document.title, document)
    analysis.document = document  # same text from another file: keep this file's source
    return analysis


def translate(analysis: Analysis, request: TranslationRequest) -> Translation:
    """Not cached here: pipeline.translate keeps its own sentence cache, and it also fills
    ``Quote.translation`` on this session's analysis."""
    from pipeline.translate import TranslationSettings, translate_analysis

    settings = TranslationSettings(
        provider=request.provider, url=request.url, api_key=request.api_key
    )
    return translate_analysis(analysis, settings)


def library_available() -> bool:
    return importlib.util.find_spec("components.library") is not None


def article_library():
    """The process-wide library handle (components.library caches it)."""
    from components.library import cached_library

    return cached_library()


# --------------------------------------------------------------------------- state


def init_state() -> None:
    """First run of a session: an empty article store, then the bundled sample."""
    state = st.session_state
    if ARTICLES in state:
        return
    state[ARTICLES] = {}
    with st.spinner("Analysing the sample article…"):
        result = load_one(
            SAMPLE_NAME, lambda: read_document(SAMPLE_PATH.read_bytes(), SAMPLE_NAME), analyse
        )
    if result.analysis is not None:
        result.analysis.translation = translate(result.analysis, TranslationRequest("reference"))
        state[ARTICLES][result.analysis.doc_id] = result.analysis
        state[CURRENT] = result.analysis.doc_id
    else:
        st.error(md_escape(f"The sample article could not be loaded: {result.error}"))


def apply_pending() -> None:
    pending = st.session_state.pop(PENDING, None)
    if pending:
        st.session_state[CURRENT] = pending["current"]
        st.session_state[VIEW] = pending.get("view", VIEWS[0])


def open_article(analysis: Analysis) -> None:
    """Library → page: load the stored analysis and show it."""
    st.session_state[ARTICLES][analysis.doc_id] = analysis
    st.session_state[PENDING] = {"current": analysis.doc_id, "view": VIEWS[0]}
    st.rerun()


# --------------------------------------------------------------------------- layout


def sidebar() -> None:
    with st.sidebar:
        st.markdown("## NewsLens")
        st.caption("Entities, quotes, competitors and translation for German news articles.")
        render_sources(analyse)
        current = st.session_state[ARTICLES].get(st.session_state.get(CURRENT))
        if current is not None and library_available():
            from components.library import render_save_button

            render_save_button(article_library(), current, key="nl_save", width="stretch")
        st.divider()
        request = render_translation_controls(current)
        if request and current is not None:
            with st.status(f"Translating with {request.provider}…") as status:
                current.translation = translate(current, request)
                failed = current.translation.error
                status.update(
                    label="Translation failed" if failed else "Translated",
                    state="error" if failed else "complete",
                )


def explore(analysis: Analysis) -> None:
    left, right = st.columns([11, 9], gap="large")
    with right:
        entities_tab, quotes_tab, companies_tab = st.tabs(
            [
                f"Entities ({len(analysis.canonical_entities)})",
                f"Quotes ({len(analysis.quotes)})",
                f"Competitors ({len(analysis.companies)})",
            ]
        )
        # Filled in dependency order (tabs keep their visual order): a company picked in
        # the competitors panel filters the quotes and sets the article's focus this run.
        with companies_tab:
            render_competitors(analysis)
        with entities_tab:
            render_entities(analysis)
        with quotes_tab:
            render_quotes(analysis)
    with left:
        render_translation_status(analysis)
        render_article(analysis)


def library_view() -> None:
    if not library_available():
        st.info("The article library is not part of this build yet.")
        return
    from components.library import render_library

    render_library(article_library(), open_article)


def main() -> None:
    st.set_page_config(page_title="NewsLens", page_icon="📰", layout="wide")
    st.html(stylesheet())
    init_state()
    apply_pending()
    sidebar()

    articles: dict[str, Analysis] = st.session_state[ARTICLES]
    current = articles.get(st.session_state.get(CURRENT))
    if current is not None:
        render_header(current)
    else:
        st.title("NewsLens")
        st.info("No article loaded: upload a file or paste text in the sidebar.")
    tabs = st.tabs(VIEWS, key=VIEW, on_change="rerun")
    views = dict(zip(VIEWS, tabs, strict=True))
    with views["Explore"]:
        if views["Explore"].open and current is not None:
            explore(current)
    with views["Compare"]:
        if views["Compare"].open:
            render_compare(articles)
    with views["Export"]:
        if views["Export"].open and current is not None:
            render_export(current, selected_analyses(articles))
    with views["Library"]:
        if views["Library"].open:
            library_view()


main()
