"""Quotes panel: quotes grouped by speaker, original beside translation, "show in article"."""

from __future__ import annotations

import streamlit as st

from components import get_company, set_company, set_focus
from components.html import esc, md_escape, quote_html
from pipeline.model import Analysis, Quote
from pipeline.views import quote_translation, quotes_about

UNKNOWN_SPEAKER = "— unknown —"


def render_quotes(analysis: Analysis) -> None:
    if not analysis.quotes:
        st.info("No quotes found in this article.")
        return
    doc_id = analysis.doc_id
    quotes = analysis.quotes
    company = get_company(doc_id)
    if company:
        quotes = quotes_about(analysis, company)
        note, button = st.columns([4, 1], vertical_alignment="center")
        note.caption(f"Quotes by or naming **{md_escape(company)}**: {len(quotes)}")
        button.button(
            "All quotes", key=f"quotes-all-{doc_id}", on_click=set_company, args=(doc_id, None)
        )

    speakers = list(dict.fromkeys(q.speaker or UNKNOWN_SPEAKER for q in quotes))
    chosen = st.multiselect(
        "Speakers", speakers, key=f"speakers-{doc_id}", placeholder="All speakers"
    )
    groups: dict[str, list[tuple[int, Quote]]] = {}
    index = {id(q): i for i, q in enumerate(analysis.quotes)}
    for quote in quotes:
        speaker = quote.speaker or UNKNOWN_SPEAKER
        if not chosen or speaker in chosen:
            groups.setdefault(speaker, []).append((index[id(quote)], quote))
    if not groups:
        st.caption("No quotes match the filter.")
    for speaker, items in groups.items():
        st.html(
            f'<div class="nl-speaker"><b>{esc(speaker)}</b> '
            f"<small>· {len(items)} quote{'s' if len(items) != 1 else ''}</small></div>"
        )
        for i, quote in items:
            shown = Quote(**{**quote.__dict__, "translation": quote_translation(analysis, quote)})
            st.html(quote_html(shown))
            spans = [(quote.start, quote.end)]
            if quote.speaker_start is not None and quote.speaker_end is not None:
                spans.append((quote.speaker_start, quote.speaker_end))
            st.button(
                "Show in article",
                key=f"quote-{doc_id}-{i}",
                icon=":material/my_location:",
                type="tertiary",
                help="Highlight this quote (and its speaker) in the article",
                on_click=set_focus,
                args=(doc_id, "quote", f"{speaker}: quote {i + 1}", spans),
            )
