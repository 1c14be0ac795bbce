"""What the page's panels show for one analysis, as pure functions (no Streamlit).

- ``company_spans``: the character spans of a company's mentions;
- ``quotes_about``: the quotes spoken by, or naming, a company;
- ``quote_translation``: a quote's English (its own translation, else the translated
  sentences it lies in).

Every span is character offsets into ``Document.text`` and comes from the entity mentions
the pipeline found, so an inflected mention ("Googles") is covered as a whole.
"""

from __future__ import annotations

import re

from pipeline.model import Analysis, Company, Quote

_WORD_REST = re.compile(r"\w*")


def _company(analysis: Analysis, name: str) -> Company | None:
    return next((c for c in analysis.companies if c.name == name), None)


def _mention_at(analysis: Analysis, start: int, company: Company) -> tuple[int, int]:
    """The span of the mention that starts at ``start``: the entity mention found there
    (one of the company's own first), else the company's name at that offset extended to
    the end of its word ("Googles"), else the word there."""
    here = [e for e in analysis.entities if e.start == start and e.end > start]
    if here:
        own = [e for e in here if e.canonical == company.name]
        entity = (own or here)[0]
        return entity.start, entity.end
    text = analysis.document.text
    name = company.name
    if text[start : start + len(name)].casefold() == name.casefold():
        end = start + len(name)
    else:
        end = start
    end = _WORD_REST.match(text, end).end()
    return start, max(end, min(start + 1, len(text)))


def company_spans(analysis: Analysis, name: str) -> list[tuple[int, int]]:
    """Sorted spans of a company's mentions: the mentions of its canonical entity (same
    name, or same knowledge-base id), else the entity mentions at its recorded positions."""
    company = _company(analysis, name)
    spans = {
        (int(s), int(e))
        for c in analysis.canonical_entities
        if c.name == name or (company is not None and company.kb_id and c.kb_id == company.kb_id)
        for s, e in c.mentions
    }
    if not spans and company is not None:
        spans = {_mention_at(analysis, p, company) for p in company.positions}
    return sorted(spans)


def quotes_about(analysis: Analysis, name: str) -> list[Quote]:
    """Quotes spoken by the company, or with one of its mentions inside the quote's span
    (a mention overlapping the quote counts), in the analysis' order."""
    spans = company_spans(analysis, name)
    return [
        q
        for q in analysis.quotes
        if q.speaker == name or any(s < q.end and q.start < e for s, e in spans)
    ]


def quote_translation(analysis: Analysis, quote: Quote) -> str | None:
    """The quote's own translation, else the translations of the sentences it overlaps
    (joined with spaces); None when there is neither or the translation failed."""
    if quote.translation:
        return quote.translation
    translation = analysis.translation
    if translation is None or translation.error:
        return None
    targets = [
        p.target
        for p in translation.sentences
        if p.target and p.start < quote.end and quote.start < p.end
    ]
    return " ".join(targets) or None


__all__ = ["company_spans", "quote_translation", "quotes_about"]
