"""NewsLens analysis pipeline: ingest → nlp → entities → quotes → companies → translation.

The public API other parts rely on:

- ``analyze(document_or_text, *, translate=None) -> Analysis``
- ``analyze_many(texts_or_documents, *, batch_size=32, n_process=1) -> Iterator[Analysis]``
- ``pipeline.nlp.load_nlp() -> spacy.Language``

This package never imports Streamlit.
"""

from __future__ import annotations

from pipeline.model import Analysis, Document
from pipeline.run import analyze, analyze_many

__all__ = ["Analysis", "Document", "analyze", "analyze_many"]
