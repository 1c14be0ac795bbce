"""Library tab: the stored articles (search, open, delete) and corpus views over them.

``render_library(library, on_open)`` draws everything; ``on_open(analysis)`` is the page's
callback that puts a stored analysis into the workspace (instant, no re-analysis). The
corpus views read tidy frames the library aggregates in DuckDB; the chart builders below
are pure functions (frame -> Altair chart) so they can be tested and reused.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from components.charts import LABEL_COLORS, ROLE_COLORS
from components.html import md_escape
from pipeline.export import frame_csv
from pipeline.library import Library, LibraryError, default_library_path, open_library
from pipeline.model import COMPANY_ROLES, ENTITY_LABELS, Analysis

TOP_LIMIT = 20  # bars / heatmap rows per corpus view
BAND = 20  # pixels per bar or heatmap row, so every label shows
ENTITY_GROUPS = {
    "Companies and organisations": ["ORG"],
    "People": ["PER"],
    "Places": ["LOC"],
    "Products": ["PRODUCT"],
    "All entities": None,
}
SCOPES = ("Whole library", "Search results")


@st.cache_resource(show_spinner=False)
def _open_cached(path: str) -> Library:
    return open_library(path)


def cached_library(path: str | None = None) -> Library:
    """One library handle per file and process, shared by all sessions (the Library is
    thread-safe). The default path is resolved on each call, so a changed
    $NEWSLENS_DATA_DIR opens that library instead of returning the old one."""
    return _open_cached(str(path or default_library_path()))


cached_library.clear = _open_cached.clear  # "try again" after a lock or a bad file


# --- chart builders (pure) ---------------------------------------------------------------

# The same colour for a label / role as in the single-article charts (components.charts).
LABEL_SCALE = alt.Scale(domain=list(ENTITY_LABELS), range=[LABEL_COLORS[x] for x in ENTITY_LABELS])
ROLE_SCALE = alt.Scale(domain=list(COMPANY_ROLES), range=[ROLE_COLORS[x] for x in COMPANY_ROLES])


def top_entities_chart(df: pd.DataFrame) -> alt.Chart:
    """Horizontal bars: mentions per entity, coloured by label."""
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("mentions:Q", title="Mentions"),
            y=alt.Y("name:N", sort="-x", title=None),
            color=alt.Color("label:N", title="Type", scale=LABEL_SCALE),
            tooltip=["name:N", "label:N", "mentions:Q", "articles:Q"],
        )
        .properties(height=alt.Step(BAND))
    )


def company_roles_chart(df: pd.DataFrame) -> alt.Chart:
    """Stacked bars: in how many articles each company plays each role."""
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("sum(articles):Q", title="Articles"),
            y=alt.Y("company:N", sort="-x", title=None),
            color=alt.Color("role:N", title="Role", scale=ROLE_SCALE),
            tooltip=["company:N", "role:N", "articles:Q", "mentions:Q"],
        )
        .properties(height=alt.Step(BAND))
    )


def co_mentions_chart(df: pd.DataFrame) -> alt.Chart:
    """Heatmap: articles naming both companies; both axes in the same order (most
    co-mentioned first) so the matrix reads symmetric."""
    order = list(df.groupby("company_a")["articles"].sum().sort_values(ascending=False).index)
    return (
        alt.Chart(df)
        .mark_rect()
        .encode(
            x=alt.X(
                "company_a:N",
                title=None,
                sort=order,
                axis=alt.Axis(labelAngle=-90, labelOverlap=False),
            ),
            y=alt.Y("company_b:N", title=None, sort=order),
            color=alt.Color(
                "articles:Q",
                title="Articles",
                scale=alt.Scale(scheme="blues"),
                legend=alt.Legend(format="d", tickMinStep=1),
            ),
            tooltip=["company_a:N", "company_b:N", "articles:Q"],
        )
        .properties(height=alt.Step(BAND), width=alt.Step(BAND))
    )


def quotes_per_speaker_chart(df: pd.DataFrame) -> alt.Chart:
    """Stacked bars: direct and indirect quotes per speaker."""
    long = df.melt(
        id_vars=["speaker", "articles"],
        value_vars=["direct", "indirect"],
        var_name="kind",
        value_name="count",
    )
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("sum(count):Q", title="Quotes"),
            y=alt.Y("speaker:N", sort="-x", title=None),
            color=alt.Color("kind:N", title="Kind"),
            tooltip=["speaker:N", "kind:N", "count:Q", "articles:Q"],
        )
        .properties(height=alt.Step(BAND))
    )


def mentions_over_time_chart(df: pd.DataFrame) -> alt.Chart:
    """Lines: mentions per month (``mentions_over_time`` frame) for the top entities."""
    return (
        alt.Chart(df)
        .mark_line(point=True)
        .properties(height=320)
        .encode(
            x=alt.X("period:T", title=None, axis=alt.Axis(format="%b %Y", tickCount="month")),
            y=alt.Y("mentions:Q", title="Mentions"),
            color=alt.Color("name:N", title="Entity"),
            tooltip=["period:T", "name:N", "label:N", "mentions:Q", "articles:Q"],
        )
    )


# --- the tab -----------------------------------------------------------------------------


def _help(text: str | None) -> str | None:
    """Widget ``help`` is rendered as Markdown: escape messages that carry paths or data."""
    return md_escape(text) if text else None


def render_save_button(
    library: Library, analysis: Analysis, *, key: str = "library_save", width: str = "content"
) -> None:
    """A "Save to library" button for the workspace ("Update in library" when the article is
    already stored); disabled, with the reason as help, when the library is read-only."""
    stored = analysis.doc_id in library
    label = "Update in library" if stored else "Save to library"
    if st.button(
        label, key=key, disabled=library.read_only, help=_help(library.warning), width=width
    ):
        try:
            library.save(analysis)
        except LibraryError as error:
            st.error(md_escape(f"Not saved: {error}"))
        else:
            st.toast("Updated in the library." if stored else "Saved to the library.")


def render_library(
    library: Library,
    on_open: Callable[[Analysis], None],
    *,
    key: str = "library",
) -> None:
    """The library tab: search, table with row selection, open/delete, corpus views."""
    if library.warning:
        st.warning(md_escape(library.warning))
        if st.button("Try opening the library again", key=f"{key}_reopen"):
            cached_library.clear()  # the page's next cached_library() call reopens the file
            st.rerun()
    query = st.text_input(
        "Search the library",
        key=f"{key}_query",
        placeholder="Title, person, company or speaker",
    )
    if st.session_state.get(f"{key}_last_query", "") != query:
        # Selected row numbers refer to the previous result list: start over.
        st.session_state.pop(f"{key}_table", None)
        st.session_state.pop(f"{key}_pending_delete", None)
    st.session_state[f"{key}_last_query"] = query
    articles = library.search(query, limit=max(len(library), 1))
    if articles.empty:
        if query.strip():
            st.info("No stored article matches this search.")
        else:
            st.info("The library is empty. Save an analysed article to keep it here.")
            return
    else:
        st.caption(f"{len(articles)} of {len(library)} stored articles")
        selected = _article_table(articles, key)
        _article_actions(library, selected, on_open, key)
    st.divider()
    _corpus_views(library, articles, bool(query.strip()), key)


def _article_table(articles: pd.DataFrame, key: str) -> pd.DataFrame:
    """The table of articles; returns the selected rows."""
    event = st.dataframe(
        articles,
        key=f"{key}_table",
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
        width="stretch",
        column_order=("title", "source", "language", "date", "chars", "entities", "quotes"),
        column_config={
            "title": st.column_config.TextColumn("Title", width="large"),
            "source": "Source",
            "language": "Lang.",
            "date": st.column_config.DateColumn("Date"),
            "chars": st.column_config.NumberColumn("Characters", format="%d"),
            "entities": st.column_config.NumberColumn("Entities", format="%d"),
            "quotes": st.column_config.NumberColumn("Quotes", format="%d"),
        },
    )
    rows = [r for r in event.selection.rows if 0 <= r < len(articles)]
    return articles.iloc[rows]


def _article_actions(
    library: Library,
    selected: pd.DataFrame,
    on_open: Callable[[Analysis], None],
    key: str,
) -> None:
    """Open one selected article, or delete the selected ones after a confirmation."""
    pending_key = f"{key}_pending_delete"
    open_col, delete_col, note_col = st.columns([1, 1, 4])
    opened = open_col.button(
        "Open", key=f"{key}_open", disabled=len(selected) != 1, help="Open in the workspace"
    )
    delete = delete_col.button(
        "Delete",
        key=f"{key}_delete",
        disabled=selected.empty or library.read_only,
        help="Read-only library" if library.read_only else "Remove from the library",
    )
    if selected.empty:
        note_col.caption("Select a row to open it, or rows to delete them.")
    if opened:
        try:
            analysis = library.load(selected["id"].iloc[0])
        except LibraryError as error:
            st.error(md_escape(str(error)))
        else:
            on_open(analysis)
    if delete:
        st.session_state[pending_key] = list(selected["id"])
    pending = st.session_state.get(pending_key)
    if pending:
        _confirm_delete(library, pending, pending_key, key)


def _confirm_delete(library: Library, ids: list[str], pending_key: str, key: str) -> None:
    titles = library.search("", limit=max(len(library), 1))
    titles = titles[titles["id"].isin(ids)][["title", "source"]]
    st.warning(f"Delete {len(ids)} article(s) from the library? This cannot be undone.")
    st.dataframe(titles, hide_index=True)
    yes, no, _ = st.columns([1, 1, 4])
    if yes.button("Yes, delete", key=f"{key}_confirm_delete", type="primary"):
        st.session_state.pop(pending_key, None)
        try:
            removed = library.delete(ids)
        except LibraryError as error:
            st.error(md_escape(str(error)))
        else:
            st.session_state.pop(f"{key}_table", None)  # the selection pointed at old rows
            st.toast(f"Deleted {removed} article(s).")
            st.rerun()
    if no.button("Cancel", key=f"{key}_cancel_delete"):
        st.session_state.pop(pending_key, None)
        st.rerun()


def _corpus_views(library: Library, articles: pd.DataFrame, filtered: bool, key: str) -> None:
    st.subheader("Across the library")
    ids: Sequence[str] | None = None
    if filtered:
        scope = st.radio("Corpus views over", SCOPES, index=1, horizontal=True, key=f"{key}_scope")
        if scope == SCOPES[1]:
            ids = list(articles["id"])
    else:
        st.caption("Views over the whole library; search to narrow them to matching articles.")
    overview = library.overview(ids)
    st.caption(
        f"{overview['articles']} articles · {overview['entities']} entities · "
        f"{overview['companies']} companies · {overview['quotes']} quotes"
    )
    if overview["articles"] == 0:
        return

    left, right = st.columns(2)
    with left:
        group = st.selectbox("Most mentioned", list(ENTITY_GROUPS), key=f"{key}_group")
        frame = library.top_entities(ids, label=ENTITY_GROUPS[group], limit=TOP_LIMIT)
        _view(frame, top_entities_chart, f"Most mentioned: {group.lower()}", "top_entities", key)
    with right:
        frame = library.quotes_per_speaker(ids, limit=TOP_LIMIT)
        _view(frame, quotes_per_speaker_chart, "Quotes per speaker", "quotes_per_speaker", key)

    left, right = st.columns(2)
    with left:
        frame = library.company_roles(ids, limit=TOP_LIMIT)
        _view(frame, company_roles_chart, "Companies by role", "company_roles", key)
    with right:
        frame = library.co_mentions(ids, limit=TOP_LIMIT)
        _view(frame, co_mentions_chart, "Companies named together", "co_mentions", key, "content")

    st.markdown("**Mentions over time**")
    if overview["dated"] == 0:
        st.caption("No article in this set has a known date, so there is no timeline.")
        return
    frame = library.mentions_over_time(ids, top=10)
    _view(frame, mentions_over_time_chart, None, "mentions_over_time", key)


def _view(
    frame: pd.DataFrame,
    build: Callable[[pd.DataFrame], alt.Chart],
    title: str | None,
    name: str,
    key: str,
    width: str = "stretch",
) -> None:
    """One corpus view: title, chart (or a note when empty) and its CSV download.
    ``width="content"`` keeps a chart's own width (a heatmap needs room for its labels)."""
    if title:
        st.markdown(f"**{title}**")
    if frame.empty:
        st.caption("Nothing to show for these articles.")
        return
    st.altair_chart(build(frame), width=width)
    st.download_button(
        "Download CSV",
        frame_csv(frame).encode("utf-8"),
        file_name=f"newslens-library-{name}.csv",
        mime="text/csv",
        key=f"{key}_csv_{name}",
    )
