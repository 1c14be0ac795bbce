"""Article view: header, metrics, and the text with entity highlights (optionally beside
its English translation, sentence by sentence)."""

from __future__ import annotations

from collections import Counter

import streamlit as st

from components import clear_focus, get_focus
from components.html import (
    LABEL_NAMES,
    article_html,
    header_html,
    legend_html,
    md_escape,
    side_by_side_html,
)
from pipeline.model import ENTITY_LABELS, Analysis


def render_header(analysis: Analysis) -> None:
    """Headline, source facts and a metrics row."""
    doc = analysis.document
    language = (
        doc.language
        if doc.language_confidence >= 0.995
        else (f"{doc.language} ({doc.language_confidence:.0%})")
    )
    facts = [
        ("Source", doc.source),
        ("Format", doc.format),
        ("Language", language),
        ("Model", analysis.model or "unknown"),
        ("ID", doc.doc_id),
    ]
    st.html(header_html(doc.title or doc.source, facts))
    for notice in doc.notices:
        st.warning(md_escape(notice), icon="⚠️")
    cols = st.columns(6)
    cols[0].metric("Words", f"{len(doc.text.split()):,}")
    cols[1].metric("Sentences", len(analysis.sentences))
    cols[2].metric("Entities", len(analysis.canonical_entities))
    cols[3].metric("Mentions", len(analysis.entities))
    cols[4].metric("Quotes", len(analysis.quotes))
    cols[5].metric("Companies", len(analysis.companies))


def _label_order(counts: Counter) -> list[str]:
    known = [label for label in ENTITY_LABELS if label in counts]
    return known + sorted(label for label in counts if label not in ENTITY_LABELS)


def render_article(analysis: Analysis) -> None:
    """The article with highlighted entities, a legend, a label filter and the focus."""
    doc_id = analysis.doc_id
    counts = Counter(e.label for e in analysis.entities)
    order = _label_order(counts)
    if order:
        st.html(legend_html({label: counts[label] for label in order}))
        labels = st.pills(
            "Show entity types",
            order,
            selection_mode="multi",
            default=order,
            format_func=lambda label: f"{label} · {LABEL_NAMES.get(label, label)}",
            key=f"labels-{doc_id}",
        )
    else:
        labels = []
        if analysis.model.startswith("blank"):
            st.info(
                "No entities: no statistical NER model is installed (model "
                f"{md_escape(analysis.model)}). Quotes and translation still work."
            )
        else:
            st.info("No entities found in this text.")

    focus = get_focus(doc_id)
    spans = focus["spans"] if focus else []
    if focus:
        note, button = st.columns([5, 1], vertical_alignment="center")
        note.caption(
            f"Highlighting {md_escape(focus['kind'])}: **{md_escape(focus['name'])}** "
            f"({len(spans)} span{'s' if len(spans) != 1 else ''}, marked in amber)"
        )
        button.button("Clear", key=f"clear-focus-{doc_id}", on_click=clear_focus)

    translation = analysis.translation
    can_pair = bool(translation and not translation.error and translation.sentences)
    side_by_side = can_pair and st.toggle(
        "Original and English side by side", value=True, key=f"sbs-{doc_id}"
    )
    text = analysis.document.text
    if side_by_side:
        st.html(
            side_by_side_html(
                text,
                translation.sentences,
                analysis.entities,
                labels=labels,
                focus=spans,
                source_heading=f"Original ({analysis.document.language})",
                target_heading=f"English · {translation.label or translation.provider}",
            )
        )
    else:
        st.html(article_html(text, analysis.entities, labels=labels, focus=spans))
