"""The typed data model every stage reads and writes.

Every span is a pair of character offsets into ``Document.text`` (``start`` inclusive,
``end`` exclusive) plus the covered ``text``, so the page, the exports and the
evaluations all agree. ``Analysis.to_dict()`` is the JSON contract of the CLI:
top-level keys ``source``, ``title``, ``language``, ``text``, ``entities``, ``quotes``,
``companies``, ``translation`` (plus a few extras).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from typing import Any

ENTITY_LABELS = ("PER", "ORG", "LOC", "MISC", "PRODUCT", "MONEY", "DATE")
QUOTE_KINDS = ("direct", "indirect")
COMPANY_ROLES = ("subject", "competitor", "customer", "investor", "partner", "mentioned")


def _from_dict(cls, data: dict[str, Any]):
    """Build a flat dataclass from a dict, ignoring unknown keys (forward compatible)."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class Document:
    """One article as ingested: plain text plus where it came from."""

    text: str
    source: str = "pasted text"
    format: str = "text"  # txt | md | html | docx | pdf | text (pasted)
    title: str = ""
    language: str = "de"
    language_confidence: float = 1.0
    date: str | None = None  # publication date (ISO yyyy-mm-dd) when the source states one
    notices: list[str] = field(default_factory=list)  # user-facing warnings (language, truncation)

    @property
    def doc_id(self) -> str:
        """Stable id: a hash of the text, so the same article is the same id anywhere."""
        return hashlib.sha1(self.text.encode("utf-8")).hexdigest()[:16]


@dataclass
class Entity:
    """One entity mention in the text."""

    text: str
    label: str
    start: int
    end: int
    canonical: str = ""  # name of the CanonicalEntity this mention belongs to
    source: str = "model"  # model | kb | pattern | compound


@dataclass
class CanonicalEntity:
    """A cluster of mentions that name the same thing ("Jain", "Amit Jain" -> "Amit Jain")."""

    name: str
    label: str
    mentions: list[tuple[int, int]] = field(default_factory=list)
    kb_id: str | None = None
    region: str | None = None

    @property
    def count(self) -> int:
        return len(self.mentions)

    @property
    def first_position(self) -> int:
        return min((s for s, _ in self.mentions), default=-1)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["mentions"] = [list(m) for m in self.mentions]
        data["count"] = self.count
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CanonicalEntity:
        obj = _from_dict(cls, data)
        obj.mentions = [tuple(m) for m in obj.mentions]
        return obj


@dataclass
class Quote:
    """A direct or indirect quote with its (resolved) speaker."""

    text: str
    start: int
    end: int
    kind: str = "direct"  # direct | indirect
    speaker: str | None = None  # canonical name, None when unknown
    speaker_start: int | None = None  # the mention that names the speaker
    speaker_end: int | None = None
    cue: str | None = None  # the speech verb or marker ("sagt", "so", ":")
    translation: str | None = None


@dataclass
class Figure:
    """A money amount or count with its normalised value."""

    text: str
    value: float
    currency: str | None = None  # ISO code (USD, EUR, ...) or None for counts
    kind: str = "money"  # valuation | funding | revenue | employees | money | count
    start: int = -1
    end: int = -1
    company: str | None = None
    sentence: str = ""


@dataclass
class Company:
    """One canonical organisation and what the article says about it."""

    name: str
    role: str = "mentioned"
    region: str | None = None
    products: list[str] = field(default_factory=list)
    mentions: int = 0
    positions: list[int] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    evidence: str = ""  # the sentence the role comes from
    kb_id: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Company:
        obj = _from_dict(cls, data)
        obj.figures = [_from_dict(Figure, f) for f in obj.figures]
        return obj


@dataclass
class SentencePair:
    source: str
    target: str | None  # None when this sentence failed to translate
    start: int = -1
    end: int = -1


@dataclass
class Translation:
    """An English version of the article, aligned sentence by sentence."""

    provider: str
    source_language: str = "de"
    target_language: str = "en"
    text: str = ""
    sentences: list[SentencePair] = field(default_factory=list)
    error: str | None = None
    partial: bool = False  # some sentences failed; see SentencePair.target is None
    label: str = ""  # what the page shows, e.g. "reference translation (bundled)"

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Translation:
        obj = _from_dict(cls, data)
        obj.sentences = [_from_dict(SentencePair, s) for s in obj.sentences]
        return obj


@dataclass
class Analysis:
    """Everything the pipeline knows about one document."""

    document: Document
    sentences: list[tuple[int, int]] = field(default_factory=list)
    entities: list[Entity] = field(default_factory=list)
    canonical_entities: list[CanonicalEntity] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    translation: Translation | None = None
    model: str = ""  # which NLP model produced the annotations
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def doc_id(self) -> str:
        return self.document.doc_id

    def sentence_texts(self) -> list[str]:
        return [self.document.text[s:e] for s, e in self.sentences]

    def to_dict(self) -> dict[str, Any]:
        doc = self.document
        return {
            "id": doc.doc_id,
            "source": doc.source,
            "format": doc.format,
            "title": doc.title,
            "language": doc.language,
            "language_confidence": doc.language_confidence,
            "date": doc.date,
            "notices": list(doc.notices),
            "text": doc.text,
            "sentences": [list(s) for s in self.sentences],
            "entities": [asdict(e) for e in self.entities],
            "canonical_entities": [c.to_dict() for c in self.canonical_entities],
            "quotes": [asdict(q) for q in self.quotes],
            "companies": [asdict(c) for c in self.companies],
            "translation": asdict(self.translation) if self.translation else None,
            "model": self.model,
            "timings": dict(self.timings),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Analysis:
        document = Document(
            text=data["text"],
            source=data.get("source", "pasted text"),
            format=data.get("format", "text"),
            title=data.get("title", ""),
            language=data.get("language", "de"),
            language_confidence=data.get("language_confidence", 1.0),
            date=data.get("date"),
            notices=list(data.get("notices", [])),
        )
        translation = data.get("translation")
        return cls(
            document=document,
            sentences=[tuple(s) for s in data.get("sentences", [])],
            entities=[_from_dict(Entity, e) for e in data.get("entities", [])],
            canonical_entities=[
                CanonicalEntity.from_dict(c) for c in data.get("canonical_entities", [])
            ],
            quotes=[_from_dict(Quote, q) for q in data.get("quotes", [])],
            companies=[Company.from_dict(c) for c in data.get("companies", [])],
            translation=Translation.from_dict(translation) if translation else None,
            model=data.get("model", ""),
            timings=dict(data.get("timings", {})),
        )
