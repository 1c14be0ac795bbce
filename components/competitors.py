"""Competitors panel: companies with their roles, figures and products as charts beside
tables. Picking a company (bar or row) filters the quotes and highlights its mentions."""

from __future__ import annotations

import streamlit as st

from components import (
    charts,
    clear_focus_of,
    draw_chart,
    get_company,
    selection_changed,
    set_company,
    set_focus,
)
from components.html import md_escape
from pipeline import tables
from pipeline.model import Analysis
from pipeline.views import company_spans


def _pick(analysis: Analysis, name: str | None) -> None:
    doc_id = analysis.doc_id
    if name:
        set_company(doc_id, name)
        set_focus(doc_id, "company", name, company_spans(analysis, name))
    else:
        set_company(doc_id, None)
        clear_focus_of(doc_id, "company")


def _chart_choice(state, field: str) -> str | None:
    points = (state or {}).get("selection", {}).get(charts.COMPANY_SELECT) or []
    return points[0].get(field) if points else None


def _company_chart(analysis: Analysis, builder: str, frame, field: str, key: str) -> None:
    """Draw a chart whose click selects a company (charts.COMPANY_SELECT on ``field``)."""
    picked = _chart_choice(draw_chart(builder, frame, key=key), field)
    if selection_changed(key, picked or []):
        _pick(analysis, picked)


def render_competitors(analysis: Analysis) -> None:
    frame = tables.companies_frame(analysis)
    if frame.empty:
        st.info("No companies found in this article.")
        return
    doc_id = analysis.doc_id
    note = st.empty()  # filled once this run's selections are applied
    _company_chart(analysis, "company_mentions_chart", frame, "name", f"company-chart-{doc_id}")
    table_key = f"company-table-{doc_id}"
    event = st.dataframe(
        frame,
        key=table_key,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        column_config={"evidence": st.column_config.TextColumn("Evidence", width="large")},
    )
    rows = [r for r in event.selection.rows if r < len(frame)]
    if selection_changed(table_key, rows):
        _pick(analysis, frame.iloc[rows[0]]["name"] if rows else None)

    figures = tables.figures_frame(analysis)
    if len(figures):
        left, right = st.columns([3, 2])
        with left:
            _company_chart(analysis, "figures_chart", figures, "company", f"figures-chart-{doc_id}")
        right.dataframe(
            figures[["company", "kind", "text", "value", "currency"]],
            hide_index=True,
            width="stretch",
        )
    products = tables.products_frame(analysis)
    if len(products):
        left, right = st.columns([3, 2])
        with left:
            _company_chart(
                analysis, "products_chart", products, "company", f"products-chart-{doc_id}"
            )
        right.dataframe(products, hide_index=True, width="stretch")
    _company_chart(analysis, "companies_by_region_chart", frame, "name", f"region-chart-{doc_id}")

    current = get_company(doc_id)
    note.caption(
        "Click a bar or a row to filter the quotes and highlight the company in the article."
        + (f" Selected: **{md_escape(current)}**." if current else "")
    )
