"""Sources sidebar: upload files, paste text, switch between and remove loaded articles.

``load_files`` is the upload handler without Streamlit widgets (tests call it with real
bytes); ``render_sources`` draws the sidebar and feeds it. A file that fails is reported
next to its name; articles already loaded are never touched by a failure.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, MutableMapping
from dataclasses import dataclass

import streamlit as st

from components.html import md_escape
from pipeline.ingest import IngestError, document_from_text, read_document
from pipeline.model import Analysis, Document

UPLOAD_TYPES = ["txt", "md", "html", "htm", "docx", "pdf"]
ARTICLES = "nl_articles"  # dict doc_id -> Analysis, in loading order
CURRENT = "nl_current"  # doc_id shown
ERRORS = "nl_errors"  # [(file name, message)] of the last upload batch
SEEN_UPLOADS = "nl_seen_uploads"  # uploader file ids already handled

Analyse = Callable[[Document], Analysis]
Progress = Callable[[int, int, str], None]


@dataclass
class LoadResult:
    name: str
    analysis: Analysis | None = None
    error: str | None = None


def load_one(name: str, make_document: Callable[[], Document], analyse: Analyse) -> LoadResult:
    """Ingest and analyse one input; user errors become ``LoadResult.error``."""
    try:
        return LoadResult(name, analysis=analyse(make_document()))
    except IngestError as err:
        return LoadResult(name, error=str(err))
    except Exception as err:  # a pipeline bug must not take the other articles down
        return LoadResult(name, error=f"{name}: analysis failed ({type(err).__name__}: {err}).")


def load_files(
    files: Iterable[tuple[str, bytes]], analyse: Analyse, progress: Progress | None = None
) -> list[LoadResult]:
    """Ingest and analyse uploaded files one by one."""
    files = list(files)
    results = []
    for i, (name, data) in enumerate(files):
        if progress:
            progress(i, len(files), name)
        results.append(load_one(name, lambda d=data, n=name: read_document(d, n), analyse))
    if progress:
        progress(len(files), len(files), "")
    return results


def add_results(
    articles: MutableMapping[str, Analysis], results: Iterable[LoadResult]
) -> str | None:
    """Store the successful analyses (same text = same id, loaded once); return the id of
    the last one so the page can show it."""
    last = None
    for result in results:
        if result.analysis is not None:
            articles[result.analysis.doc_id] = result.analysis
            last = result.analysis.doc_id
    return last


def article_label(analysis: Analysis) -> str:
    doc = analysis.document
    title = " ".join((doc.title or doc.source).split())
    title = title if len(title) <= 70 else title[:69] + "…"
    return f"{title} · {doc.source}" if doc.title and doc.source != doc.title else title


def _run_uploads(uploads, analyse: Analyse) -> None:
    state = st.session_state
    files = [(u.name, u.getvalue()) for u in uploads]
    with st.status(f"Analysing {len(files)} file(s)…", expanded=True) as status:
        bar = st.progress(0.0)

        def progress(i: int, n: int, name: str) -> None:
            bar.progress(i / max(n, 1), text=f"{i}/{n} {name}" if name else f"{n}/{n} done")

        results = load_files(files, analyse, progress)
        failed = [r for r in results if r.error]
        status.update(
            label=f"Loaded {len(results) - len(failed)} of {len(results)} file(s)",
            state="error" if failed and len(failed) == len(results) else "complete",
            expanded=bool(failed),
        )
    state[ERRORS] = [(r.name, r.error) for r in failed]
    last = add_results(state[ARTICLES], results)
    if last:
        state[CURRENT] = last


def render_sources(analyse: Analyse) -> None:
    """The sidebar's source controls; updates ``st.session_state`` in place."""
    state = st.session_state
    st.subheader("Sources")
    uploads = st.file_uploader(
        "Upload articles",
        type=UPLOAD_TYPES,
        accept_multiple_files=True,
        key="nl_uploader",
        help="Text, Markdown, HTML, Word or PDF; up to 10 MB each.",
    )
    seen = state.setdefault(SEEN_UPLOADS, set())
    fresh = [u for u in uploads or [] if u.file_id not in seen]
    if fresh:
        seen.update(u.file_id for u in fresh)
        _run_uploads(fresh, analyse)
    for _name, message in state.get(ERRORS, []):
        st.error(md_escape(message), icon="📄")

    with st.expander("Paste text", expanded=False):
        text = st.text_area("Article text", key="nl_paste", height=150)
        if st.button("Analyse pasted text", key="nl_paste_go", width="stretch"):
            with st.spinner("Analysing…"):
                result = load_one("pasted text", lambda: document_from_text(text), analyse)
            if result.error:
                st.error(md_escape(result.error))
            else:
                state[CURRENT] = add_results(state[ARTICLES], [result])

    articles: dict[str, Analysis] = state[ARTICLES]
    if not articles:
        st.caption("No article loaded.")
        return
    ids = list(articles)
    if state.get(CURRENT) not in articles:
        state[CURRENT] = ids[-1]
    st.selectbox(
        f"Loaded articles ({len(ids)})",
        ids,
        format_func=lambda i: article_label(articles[i]),
        key=CURRENT,
    )
    st.button("Remove this article", key="nl_remove", on_click=remove_current, width="stretch")


def remove_current() -> None:
    state = st.session_state
    articles = state[ARTICLES]
    articles.pop(state.get(CURRENT), None)
    state[CURRENT] = next(reversed(articles), None) if articles else None
