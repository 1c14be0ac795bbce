"""Compare view: shared and distinct entities, competitor mentions, speakers, language and
length across two or more loaded articles."""

from __future__ import annotations

import streamlit as st

from components import draw_chart
from components.html import md_escape
from components.sources import article_label
from pipeline import tables
from pipeline.model import Analysis

SELECTED = "nl_compare"  # the multiselect's widget state (dropped while the tab is closed)
KEPT = "nl_compare_kept"  # the user's last pick, kept for the export tab


def _keep_selection() -> None:
    st.session_state[KEPT] = list(st.session_state[SELECTED])


def selected_ids(articles: dict[str, Analysis]) -> list[str]:
    """The articles picked for comparison (all loaded ones until the user picks)."""
    kept = st.session_state.get(KEPT)
    return [i for i in kept if i in articles] if kept is not None else list(articles)


def selected_analyses(articles: dict[str, Analysis]) -> list[Analysis]:
    return [articles[i] for i in selected_ids(articles)]


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def render_compare(articles: dict[str, Analysis]) -> None:
    if len(articles) < 2:
        st.info("Load two or more articles (sidebar: upload or paste) to compare them.")
        return
    st.multiselect(
        "Articles to compare",
        list(articles),
        default=selected_ids(articles),
        format_func=lambda i: article_label(articles[i]),
        key=SELECTED,
        on_change=_keep_selection,
    )
    analyses = [articles[i] for i in st.session_state[SELECTED] if i in articles]
    if len(analyses) < 2:
        st.info("Pick at least two articles.")
        return

    st.markdown("#### Language and length")
    overview = tables.articles_frame(analyses)
    left, right = st.columns([3, 2])
    left.dataframe(
        overview,
        hide_index=True,
        width="stretch",
        column_order=["article", "language", "words", "chars", "entities", "quotes", "companies"],
        column_config={"article": st.column_config.TextColumn("Article", width="medium")},
    )
    with right:
        draw_chart("article_lengths_chart", overview)

    st.markdown("#### Entities")
    presence = tables.entity_presence(analyses)
    shared, distinct = tables.shared_entities(presence)
    left, right = st.columns(2)
    left.caption(f"Shared by two or more articles: {len(shared)} (mentions per article)")
    # Article columns are named after article titles (untrusted): the header is plain
    # text, but ``help`` is rendered as Markdown, so it is escaped.
    article_columns = list(shared.columns[len(tables.SHARED_COLUMNS) :])
    left.dataframe(
        shared,
        hide_index=True,
        width="stretch",
        column_config={
            "entity": st.column_config.TextColumn("Entity"),
            "label": st.column_config.TextColumn("Type", width="small"),
            "articles": st.column_config.NumberColumn("Articles", width="small"),
            "mentions": st.column_config.NumberColumn("Mentions", width="small"),
            **{
                column: st.column_config.NumberColumn(
                    _short(column), help=md_escape(column), width="small"
                )
                for column in article_columns
            },
        },
    )
    right.caption(f"Only in one article: {distinct['entity'].nunique() if len(distinct) else 0}")
    right.dataframe(
        distinct,
        hide_index=True,
        width="stretch",
        column_order=["entity", "label", "mentions", "article"],
    )
    if len(presence):
        draw_chart("entity_presence_chart", presence)

    _chart_beside_table(
        "Competitor mentions per article",
        tables.company_mentions_by_article(analyses),
        "mentions_heatmap",
        "No companies in these articles.",
    )
    _chart_beside_table(
        "Quotes per speaker",
        tables.quotes_by_speaker(analyses),
        "quotes_by_speaker_chart",
        "No quotes in these articles.",
    )


def _chart_beside_table(heading: str, frame, chart: str, empty: str) -> None:
    """A section: the chart on the left, its table on the right (or a note when empty)."""
    st.markdown(f"#### {heading}")
    if frame.empty:
        st.caption(empty)
        return
    left, right = st.columns([3, 2])
    with left:
        draw_chart(chart, frame)
    right.dataframe(frame, hide_index=True, width="stretch")
