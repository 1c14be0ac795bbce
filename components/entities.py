"""Entities panel: the canonical entities table; selecting a row highlights its mentions."""

from __future__ import annotations

import streamlit as st

from components import clear_focus_of, selection_changed, set_focus
from pipeline import tables
from pipeline.model import Analysis


def render_entities(analysis: Analysis) -> None:
    frame = tables.entities_frame(analysis)
    if frame.empty:
        st.info("No entities to list.")
        return
    doc_id = analysis.doc_id
    key = f"entities-{doc_id}"
    mentions = {(c.name, c.label): c.mentions for c in analysis.canonical_entities}

    st.caption("Select a row to highlight every mention in the article.")
    event = st.dataframe(
        frame,
        key=key,
        on_select="rerun",
        selection_mode="single-row",
        hide_index=True,
        width="stretch",
        height=min(35 * (len(frame) + 1) + 3, 640),  # rows are 35 px; long lists scroll
        column_order=["name", "label", "mentions", "first_position", "region", "kb_id"],
        column_config={
            "name": st.column_config.TextColumn("Entity"),
            "label": st.column_config.TextColumn("Type", width="small"),
            "mentions": st.column_config.NumberColumn("Mentions", width="small"),
            "first_position": st.column_config.NumberColumn("First at (char)", width="small"),
            "region": st.column_config.TextColumn("Region", width="small"),
            "kb_id": st.column_config.TextColumn("KB id", width="small"),
        },
    )
    rows = [r for r in event.selection.rows if r < len(frame)]
    if selection_changed(key, rows):
        if rows:
            row = frame.iloc[rows[0]]
            spans = mentions.get((row["name"], row["label"]), [])
            set_focus(doc_id, "entity", f"{row['name']} ({row['label']})", spans)
        else:
            clear_focus_of(doc_id, "entity")
