"""Runs the stages over documents: the one place that knows the order of the chain."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator

from pipeline import companies, entities, quotes
from pipeline.ingest import document_from_text
from pipeline.model import Analysis, Document
from pipeline.nlp import load_nlp, model_name


def _as_document(item: Document | str) -> Document:
    return item if isinstance(item, Document) else document_from_text(item)


def _sentence_spans(doc) -> list[tuple[int, int]]:
    """Sentence offsets without the line breaks and spaces spaCy keeps at their edges."""
    text = doc.text
    spans = []
    for sent in doc.sents:
        start, end = sent.start_char, sent.end_char
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            spans.append((start, end))
    return spans


def analyze_doc(document: Document, doc) -> Analysis:
    """Run the stages after the spaCy pass on one parsed document."""
    timings: dict[str, float] = {}

    def timed(name, fn, *args):
        t0 = time.perf_counter()
        result = fn(*args)
        timings[name] = time.perf_counter() - t0
        return result

    found, canonical = timed("entities", entities.extract_entities, doc)
    found_quotes = timed("quotes", quotes.extract_quotes, doc, found, canonical)
    found_companies = timed(
        "companies",
        companies.extract_companies,
        doc,
        found,
        canonical,
        found_quotes,
        document.title,
    )
    return Analysis(
        document=document,
        sentences=_sentence_spans(doc),
        entities=found,
        canonical_entities=canonical,
        quotes=found_quotes,
        companies=found_companies,
        model=model_name(),
        timings=timings,
    )


def analyze(document_or_text: Document | str, *, translate=None) -> Analysis:
    """Analyse one document (or plain text). ``translate`` names a provider or gives a
    ``pipeline.translate.TranslationSettings``; None leaves the translation out."""
    document = _as_document(document_or_text)
    nlp = load_nlp()
    t0 = time.perf_counter()
    doc = nlp(document.text)
    nlp_seconds = time.perf_counter() - t0
    analysis = analyze_doc(document, doc)
    analysis.timings = {"nlp": nlp_seconds, **analysis.timings}
    if translate:
        from pipeline.translate import translate_analysis

        t0 = time.perf_counter()
        analysis.translation = translate_analysis(analysis, translate)
        analysis.timings["translation"] = time.perf_counter() - t0
    return analysis


def analyze_many(
    texts_or_documents: Iterable[Document | str],
    *,
    batch_size: int = 32,
    n_process: int = 1,
) -> Iterator[Analysis]:
    """Analyse many documents lazily, in order, batching the spaCy pass through ``nlp.pipe``."""
    nlp = load_nlp()
    documents = (_as_document(item) for item in texts_or_documents)
    pairs = nlp.pipe(
        ((d.text, d) for d in documents), as_tuples=True, batch_size=batch_size, n_process=n_process
    )
    for doc, document in pairs:
        yield analyze_doc(document, doc)
