"""Exports of analyses as files: JSON, CSV tables and Markdown reports (pure, no Streamlit).

The page's download buttons and the CLI's ``--format`` both call these. Article text is
untrusted: the Markdown report escapes HTML and Markdown syntax in everything that comes
from the article, and CSV cells that a spreadsheet would run as a formula are prefixed
with an apostrophe (OWASP "CSV injection").
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable

import pandas as pd

from pipeline import tables
from pipeline.model import Analysis

# --------------------------------------------------------------------------- JSON / CSV


def to_json(analysis: Analysis) -> str:
    """The analysis as pretty JSON (``Analysis.to_dict()``), UTF-8 text kept readable."""
    return json.dumps(analysis.to_dict(), ensure_ascii=False, indent=2)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d[\d.,]*(e[+-]?\d+)?%?$", re.IGNORECASE)


def defuse_cell(value):
    """A text cell a spreadsheet would run as a formula, prefixed with an apostrophe."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _NUMBER.match(value):
        return "'" + value
    return value


def frame_csv(frame: pd.DataFrame) -> str:
    """CSV text of a frame with formula-like text cells defused; lists joined by ``; ``."""
    safe = frame.copy()
    for column in safe.columns:
        if safe[column].dtype == object or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(
                lambda v: defuse_cell("; ".join(map(str, v)) if isinstance(v, list | tuple) else v)
            )
    return safe.to_csv(index=False, lineterminator="\n")


def entities_csv(analysis: Analysis) -> str:
    return frame_csv(tables.entities_frame(analysis))


def quotes_csv(analysis: Analysis) -> str:
    return frame_csv(tables.quotes_frame(analysis))


def companies_csv(analysis: Analysis) -> str:
    return frame_csv(tables.companies_frame(analysis))


def comparison_frame(analyses: Iterable[Analysis]) -> pd.DataFrame:
    """One tidy long table over several articles: [article, kind, name, label, count].

    ``kind`` is ``entity`` (label = entity label, count = mentions), ``company``
    (label = role, count = mentions) or ``speaker`` (count = quotes).
    """
    analyses = list(analyses)
    columns = ["article", "kind", "name", "label", "count"]
    # (table, kind, name column, label column or None, count column)
    sources = (
        (tables.entity_presence(analyses), "entity", "entity", "label", "mentions"),
        (tables.company_mentions_by_article(analyses), "company", "company", "role", "mentions"),
        (tables.quotes_by_speaker(analyses), "speaker", "speaker", None, "quotes"),
    )
    parts = [
        pd.DataFrame(
            {
                "article": frame["article"],
                "kind": kind,
                "name": frame[name],
                "label": frame[label] if label else "",
                "count": frame[count],
            }
        )
        for frame, kind, name, label, count in sources
        if len(frame)
    ]
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)[columns]


def comparison_csv(analyses: Iterable[Analysis]) -> str:
    return frame_csv(comparison_frame(analyses))


# --------------------------------------------------------------------------- Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
_LINE_START = re.compile(r"^(\s*)([#>+\-=])", re.MULTILINE)
_ORDERED_ITEM = re.compile(r"^(\s*\d+)([.)])", re.MULTILINE)


def md_text(text: object) -> str:
    """Article-derived text made inert in Markdown: HTML escaped, emphasis/link/table
    syntax backslash-escaped, block markers at line starts neutralised."""
    value = html.escape("" if text is None else str(text), quote=False)
    value = _MD_SPECIAL.sub(r"\\\1", value)
    value = _ORDERED_ITEM.sub(r"\1\\\2", value)
    return _LINE_START.sub(r"\1\\\2", value)


def md_inline(text: object) -> str:
    """Like ``md_text`` but on one line (table cells, headings, list items)."""
    return md_text(" ".join(("" if text is None else str(text)).split()))


def md_table(frame: pd.DataFrame, *, limit: int | None = None) -> str:
    """A GitHub Markdown table; every cell escaped."""
    if frame is None or frame.empty:
        return "_none_\n"
    rows = frame if limit is None else frame.head(limit)
    head = "| " + " | ".join(md_inline(c) for c in rows.columns) + " |"
    rule = "| " + " | ".join("---" for _ in rows.columns) + " |"
    body = [
        "| " + " | ".join(md_inline(_cell(v)) for v in record) + " |"
        for record in rows.itertuples(index=False, name=None)
    ]
    more = f"\n_… {len(frame) - limit} more rows_" if limit and len(frame) > limit else ""
    return "\n".join([head, rule, *body]) + more + "\n"


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value))
    return str(value)


def _blockquote(text: str) -> str:
    return "\n".join("> " + md_text(line) for line in (text or "").splitlines() or [""])


def _label(analysis: Analysis) -> str:
    return analysis.document.title or analysis.document.source


def markdown_report(analysis: Analysis) -> str:
    """A readable report of one analysis: facts, entities, quotes by speaker, companies."""
    doc = analysis.document
    lines = [
        f"# {md_inline(_label(analysis))}",
        "",
        f"- Source: {md_inline(doc.source)} ({md_inline(doc.format)})",
        f"- Language: {md_inline(doc.language)} (confidence {doc.language_confidence:.2f})",
        f"- Length: {len(doc.text):,} characters, {len(doc.text.split()):,} words",
        f"- Model: {md_inline(analysis.model or 'unknown')}",
        f"- Document id: `{doc.doc_id}`",
    ]
    if analysis.translation is not None:
        tr = analysis.translation
        state = f"error: {tr.error}" if tr.error else ("partial" if tr.partial else "complete")
        lines.append(f"- Translation: {md_inline(tr.label or tr.provider)} ({md_inline(state)})")
    for notice in doc.notices:
        lines.append(f"- Notice: {md_inline(notice)}")

    lines += ["", "## Entities", "", md_table(tables.entities_frame(analysis), limit=100)]

    lines += ["## Quotes", ""]
    if not analysis.quotes:
        lines.append("_No quotes found._\n")
    by_speaker: dict[str, list] = {}
    for quote in analysis.quotes:
        by_speaker.setdefault(quote.speaker or "— unknown —", []).append(quote)
    for speaker, quotes in by_speaker.items():
        lines += [f"### {md_inline(speaker)} ({len(quotes)})", ""]
        for quote in quotes:
            cue = f", cue “{md_inline(quote.cue)}”" if quote.cue else ""
            lines += [_blockquote(quote.text), ">", f"> _{quote.kind}{cue}_"]
            if quote.translation:
                lines += [">", _blockquote(quote.translation)]
            lines.append("")

    lines += ["## Companies", "", md_table(tables.companies_frame(analysis))]
    figures = tables.figures_frame(analysis)
    if len(figures):
        lines += ["### Figures", "", md_table(figures)]
    return "\n".join(lines).rstrip() + "\n"


def comparison_markdown(analyses: Iterable[Analysis]) -> str:
    """A report comparing several articles: overview, shared entities, companies, speakers."""
    analyses = list(analyses)
    lines = [f"# Comparison of {len(analyses)} articles", ""]
    lines += ["## Articles", "", md_table(tables.articles_frame(analyses))]

    presence = tables.entity_presence(analyses)
    if len(presence):
        shared, distinct = tables.shared_entities(presence)
        lines += [
            "## Shared entities (in two or more articles)",
            "",
            md_table(shared[tables.SHARED_COLUMNS], limit=60),
        ]
        lines += ["## Entities only in one article", ""]
        for article, group in distinct.groupby("article", sort=False):
            names = ", ".join(md_inline(n) for n in group["entity"].head(25))
            lines.append(f"- **{md_inline(article)}**: {names}")
        lines.append("")
    lines += [
        "## Company mentions per article",
        "",
        md_table(tables.company_mentions_by_article(analyses)),
        "## Quotes per speaker",
        "",
        md_table(tables.quotes_by_speaker(analyses)),
    ]
    return "\n".join(lines).rstrip() + "\n"
