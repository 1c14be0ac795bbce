"""Tidy pandas frames from analyses: one row per thing, one column per property.

Used by the page (tables and charts), the exports, the CLI's CSV and the library. Every
function returns a frame with the documented columns even when there are no rows, so
callers can concatenate and write them without special cases.

One analysis:
    entities_frame, mentions_frame, quotes_frame, companies_frame, figures_frame,
    products_frame, sentences_frame
Several analyses (article label = Document.title or Document.source; repeated labels get
" (2)", " (3)" so every article stays its own column):
    articles_frame, company_mentions_by_article, entity_presence, quotes_by_speaker
From an entity_presence frame (the compare view and the comparison export):
    shared_entities -> (shared, distinct)
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from pipeline.model import Analysis

ENTITY_COLUMNS = ["name", "label", "mentions", "first_position", "region", "kb_id"]
MENTION_COLUMNS = ["text", "label", "start", "end", "canonical", "source"]
QUOTE_COLUMNS = ["speaker", "kind", "text", "translation", "cue", "start", "end"]
COMPANY_COLUMNS = ["name", "role", "region", "products", "mentions", "evidence"]
FIGURE_COLUMNS = ["company", "kind", "text", "value", "currency", "sentence"]
PRODUCT_COLUMNS = ["company", "product", "role"]
SENTENCE_COLUMNS = ["index", "start", "end", "source", "target"]
ARTICLE_COLUMNS = ["article", "id", "language", "chars", "words", "entities", "quotes", "companies"]
COMPANY_MENTION_COLUMNS = ["article", "company", "role", "mentions"]
PRESENCE_COLUMNS = ["entity", "label", "article", "mentions"]
SPEAKER_COLUMNS = ["article", "speaker", "quotes"]
SHARED_COLUMNS = ["entity", "label", "articles", "mentions"]  # + one column per article
DISTINCT_COLUMNS = ["article", "entity", "label", "mentions"]

UNKNOWN_SPEAKER = "(unknown)"

_INT_COLUMNS = {
    "mentions",
    "first_position",
    "start",
    "end",
    "index",
    "chars",
    "words",
    "entities",
    "quotes",
    "companies",
    "articles",
}


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    """A frame with exactly ``columns``; integer columns stay integers even when empty."""
    frame = pd.DataFrame(rows, columns=columns)
    for column in columns:
        if column in _INT_COLUMNS:
            frame[column] = frame[column].astype("int64")
        elif column == "value":
            frame[column] = frame[column].astype("float64")
    return frame


# --------------------------------------------------------------------------- one analysis


def entity_records(analysis: Analysis) -> list[dict]:
    """One record per canonical entity: the row shape of entities_frame and the library."""
    return [
        {
            "name": c.name,
            "label": c.label,
            "mentions": c.count,
            "first_position": c.first_position,
            "region": c.region,
            "kb_id": c.kb_id,
        }
        for c in analysis.canonical_entities
    ]


def company_records(analysis: Analysis) -> list[dict]:
    """One record per company (products joined by ", "): companies_frame and the library."""
    return [
        {
            "name": c.name,
            "role": c.role,
            "region": c.region,
            "products": ", ".join(c.products),
            "mentions": c.mentions,
            "evidence": c.evidence,
            "kb_id": c.kb_id,
        }
        for c in analysis.companies
    ]


def entities_frame(analysis: Analysis) -> pd.DataFrame:
    """One row per canonical entity, most mentioned first."""
    rows = entity_records(analysis)
    rows.sort(key=lambda r: (-r["mentions"], r["first_position"]))
    return _frame(rows, ENTITY_COLUMNS)


def mentions_frame(analysis: Analysis) -> pd.DataFrame:
    """One row per entity mention, in text order."""
    rows = [
        {
            "text": e.text,
            "label": e.label,
            "start": e.start,
            "end": e.end,
            "canonical": e.canonical,
            "source": e.source,
        }
        for e in sorted(analysis.entities, key=lambda e: (e.start, e.end))
    ]
    return _frame(rows, MENTION_COLUMNS)


def quotes_frame(analysis: Analysis) -> pd.DataFrame:
    """One row per quote, in text order."""
    rows = [
        {
            "speaker": q.speaker,
            "kind": q.kind,
            "text": q.text,
            "translation": q.translation,
            "cue": q.cue,
            "start": q.start,
            "end": q.end,
        }
        for q in sorted(analysis.quotes, key=lambda q: q.start)
    ]
    return _frame(rows, QUOTE_COLUMNS)


def companies_frame(analysis: Analysis) -> pd.DataFrame:
    """One row per company in the stage's order (subject first); products joined by ", "."""
    return _frame(company_records(analysis), COMPANY_COLUMNS)


def figures_frame(analysis: Analysis) -> pd.DataFrame:
    """One row per figure (valuation, funding, revenue, employees, money), in text order."""
    figures = sorted(
        (f for c in analysis.companies for f in c.figures), key=lambda f: (f.start, f.end)
    )
    rows = [
        {
            "company": f.company,
            "kind": f.kind,
            "text": f.text,
            "value": f.value,
            "currency": f.currency,
            "sentence": f.sentence,
        }
        for f in figures
    ]
    return _frame(rows, FIGURE_COLUMNS)


def products_frame(analysis: Analysis) -> pd.DataFrame:
    """One row per (company, product) with the company's role."""
    rows = [
        {"company": c.name, "product": p, "role": c.role}
        for c in analysis.companies
        for p in c.products
    ]
    return _frame(rows, PRODUCT_COLUMNS)


def sentences_frame(analysis: Analysis) -> pd.DataFrame:
    """One row per sentence with its translation (None when missing or failed)."""
    text = analysis.document.text
    targets: dict[tuple[int, int], str | None] = {}
    if analysis.translation is not None:
        targets = {(p.start, p.end): p.target for p in analysis.translation.sentences}
    rows = [
        {
            "index": i,
            "start": start,
            "end": end,
            "source": text[start:end],
            "target": targets.get((start, end)),
        }
        for i, (start, end) in enumerate(analysis.sentences)
    ]
    if not rows and analysis.translation is not None:  # translated without sentence spans
        rows = [
            {"index": i, "start": p.start, "end": p.end, "source": p.source, "target": p.target}
            for i, p in enumerate(analysis.translation.sentences)
        ]
    return _frame(rows, SENTENCE_COLUMNS)


# --------------------------------------------------------------------------- several


def article_labels(analyses: Iterable[Analysis]) -> list[str]:
    """Title (or source) per analysis; repeated labels get " (2)", " (3)", ..."""
    labels: list[str] = []
    seen: dict[str, int] = {}
    for analysis in analyses:
        base = (analysis.document.title or analysis.document.source or analysis.doc_id).strip()
        seen[base] = seen.get(base, 0) + 1
        labels.append(base if seen[base] == 1 else f"{base} ({seen[base]})")
    return labels


def _labelled(analyses: Iterable[Analysis]) -> list[tuple[str, Analysis]]:
    analyses = list(analyses)
    return list(zip(article_labels(analyses), analyses, strict=True))


def articles_frame(analyses: Iterable[Analysis]) -> pd.DataFrame:
    """One row per article: language, size and how much the pipeline found."""
    rows = [
        {
            "article": label,
            "id": a.doc_id,
            "language": a.document.language,
            "chars": len(a.document.text),
            "words": len(a.document.text.split()),
            "entities": len(a.canonical_entities),
            "quotes": len(a.quotes),
            "companies": len(a.companies),
        }
        for label, a in _labelled(analyses)
    ]
    return _frame(rows, ARTICLE_COLUMNS)


def company_mentions_by_article(analyses: Iterable[Analysis]) -> pd.DataFrame:
    """One row per (article, company): its role there and how often it is mentioned."""
    rows = [
        {"article": label, "company": c.name, "role": c.role, "mentions": c.mentions}
        for label, a in _labelled(analyses)
        for c in a.companies
    ]
    return _frame(rows, COMPANY_MENTION_COLUMNS)


def entity_presence(analyses: Iterable[Analysis]) -> pd.DataFrame:
    """Long form: one row per (entity, label, article) where the entity occurs."""
    rows = [
        {"entity": c.name, "label": c.label, "article": label, "mentions": c.count}
        for label, a in _labelled(analyses)
        for c in a.canonical_entities
        if c.count
    ]
    return _frame(rows, PRESENCE_COLUMNS)


def quotes_by_speaker(analyses: Iterable[Analysis]) -> pd.DataFrame:
    """One row per (article, speaker) with the number of quotes; unknown speakers pooled."""
    rows: list[dict] = []
    for label, a in _labelled(analyses):
        counts: dict[str, int] = {}
        for quote in a.quotes:
            speaker = quote.speaker or UNKNOWN_SPEAKER
            counts[speaker] = counts.get(speaker, 0) + 1
        rows += [
            {"article": label, "speaker": s, "quotes": n}
            for s, n in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        ]
    return _frame(rows, SPEAKER_COLUMNS)


def _article_columns(articles: list[str], reserved: Iterable[str]) -> dict[str, str]:
    """Column name per article label; a label equal to a fixed column ("entity", "total",
    ...) or to an earlier column name gets " (article)", " (article 2)", ... appended."""
    taken = set(reserved)
    names: dict[str, str] = {}
    for article in articles:
        name, n = article, 1
        while name in taken:
            name = f"{article} (article{'' if n == 1 else f' {n}'})"
            n += 1
        taken.add(name)
        names[article] = name
    return names


def shared_entities(presence: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split an ``entity_presence`` frame into (shared, distinct).

    ``shared``: one row per (entity, label) found in two or more articles, most widespread
    then most mentioned first, with ``SHARED_COLUMNS`` (``articles`` = in how many,
    ``mentions`` = total) followed by one column per article (mentions there, 0 when
    absent) in the articles' order. An article labelled like a fixed column keeps its own
    column under a suffixed name (see ``_article_columns``).

    ``distinct``: the presence rows (``DISTINCT_COLUMNS``) of entities found in only one
    article, grouped by article in their order, most mentioned first.
    """
    articles = list(dict.fromkeys(presence["article"]))
    columns = _article_columns(articles, SHARED_COLUMNS)
    keys = ["entity", "label"]
    spread = presence.groupby(keys, as_index=False, sort=False).agg(
        articles=("article", "nunique"), mentions=("mentions", "sum")
    )
    in_several = spread[spread["articles"] >= 2]
    wide = (
        presence.pivot_table(
            index=keys, columns="article", values="mentions", aggfunc="sum", fill_value=0
        )
        .reindex(columns=articles, fill_value=0)
        .rename(columns=columns)
        .reset_index()
    )
    wide.columns.name = None
    shared = in_several.merge(wide, on=keys, how="left") if len(in_several) else in_several
    shared = shared.reindex(columns=SHARED_COLUMNS + [columns[a] for a in articles])
    shared = shared.sort_values(
        ["articles", "mentions", "entity"], ascending=[False, False, True], kind="stable"
    ).reset_index(drop=True)
    for column in shared.columns[2:]:
        shared[column] = shared[column].fillna(0).astype("int64")

    alone = spread.loc[spread["articles"] == 1, keys]
    distinct = presence.merge(alone, on=keys, how="inner")[DISTINCT_COLUMNS]
    order = {article: i for i, article in enumerate(articles)}
    distinct = (
        distinct.assign(_order=distinct["article"].map(order))
        .sort_values(["_order", "mentions", "entity"], ascending=[True, False, True], kind="stable")
        .drop(columns="_order")
        .reset_index(drop=True)
    )
    return shared, _frame(distinct.to_dict("records"), DISTINCT_COLUMNS)
