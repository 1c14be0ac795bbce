"""Export panel: download buttons for the current analysis and for the comparison."""

from __future__ import annotations

import re

import streamlit as st

from pipeline import export
from pipeline.model import Analysis

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9._-]+")


def file_stem(analysis: Analysis) -> str:
    """A safe, recognisable file name stem: source name without extension + short id."""
    source = (
        analysis.document.source.rsplit(".", 1)[0]
        if "." in analysis.document.source
        else (analysis.document.source)
    )
    stem = _UNSAFE_FILENAME.sub("-", source).strip("-.")[:60] or "article"
    return f"{stem}-{analysis.doc_id[:8]}"


def render_export(analysis: Analysis, comparison: list[Analysis]) -> None:
    stem = file_stem(analysis)
    st.markdown("#### This article")
    downloads = [
        ("JSON (full analysis)", export.to_json, "json", "application/json"),
        ("Entities CSV", export.entities_csv, "entities.csv", "text/csv"),
        ("Quotes CSV", export.quotes_csv, "quotes.csv", "text/csv"),
        ("Companies CSV", export.companies_csv, "companies.csv", "text/csv"),
        ("Markdown report", export.markdown_report, "md", "text/markdown"),
    ]
    cols = st.columns(len(downloads))
    for col, (label, build, suffix, mime) in zip(cols, downloads, strict=True):
        col.download_button(
            label,
            data=lambda build=build: build(analysis),
            file_name=f"{stem}.{suffix}",
            mime=mime,
            key=f"download-{suffix}",
            width="stretch",
            on_click="ignore",
        )

    st.markdown("#### Comparison")
    if len(comparison) < 2:
        st.caption("Load two or more articles to export a comparison.")
        return
    st.caption(f"{len(comparison)} articles (the selection in the Compare tab).")
    left, right = st.columns(2)
    left.download_button(
        "Comparison CSV",
        data=lambda: export.comparison_csv(comparison),
        file_name="newslens-comparison.csv",
        mime="text/csv",
        key="download-comparison-csv",
        width="stretch",
        on_click="ignore",
    )
    right.download_button(
        "Comparison Markdown",
        data=lambda: export.comparison_markdown(comparison),
        file_name="newslens-comparison.md",
        mime="text/markdown",
        key="download-comparison-md",
        width="stretch",
        on_click="ignore",
    )
