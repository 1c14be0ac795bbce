"""Entities stage: mentions from ``doc.ents`` (and names inside compounds) clustered into
canonical entities.

Entry point: ``extract_entities(doc) -> (mentions, canonical_entities)``.

- Every ``doc.ents`` span becomes an ``Entity`` (``source`` "kb" for knowledge-base matches,
  "pattern" for MONEY/DATE, "model" for the statistical NER); junk (punctuation, single
  lowercase words) is dropped.
- Names inside hyphenated compounds ("Luma-Gründer", "US-Start-up", "TikTok-Mutter") are
  mentions too (``source="compound"``), with a span covering only the name part.
- Mentions cluster into ``CanonicalEntity`` objects: KB entities by KB id under their
  canonical KB name ("Luma AI", "Lumas" -> "Luma"; "Vereinigte Staaten", "US-" -> "USA");
  persons by name ("Jain" -> the earlier "Amit Jain"); everything else by normalised text
  (genitive "s" folded). ``Entity.canonical`` names the cluster of every mention.
"""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from spacy.tokens import Doc, Span, Token

from pipeline.kb import KBEntry, KnowledgeBase, declined, genitive, load_kb, normalise
from pipeline.model import CanonicalEntity, Entity
from pipeline.nlp import CONFIRMING_LABELS, DATE_ID, MONEY_ID

KB_LABELS = ("ORG", "PRODUCT", "LOC")
PERSON_TITLES_FILE = Path(__file__).resolve().parent / "data" / "patterns" / "person_titles.txt"
NOT_NAMES_FILE = PERSON_TITLES_FILE.with_name("not_names.txt")


@functools.lru_cache(maxsize=1)
def _person_titles() -> frozenset[str]:
    lines = PERSON_TITLES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(
        line.strip().casefold() for line in lines if line.strip() and not line.startswith("#")
    )


@functools.lru_cache(maxsize=1)
def _not_names() -> tuple[frozenset[str], frozenset[str]]:
    """(exact texts, compound heads) that are never names; see data/patterns/not_names.txt."""
    lines = [line.strip() for line in NOT_NAMES_FILE.read_text(encoding="utf-8").splitlines()]
    exact = frozenset(line[1:] for line in lines if line.startswith("="))
    heads = frozenset(line[1:] for line in lines if line.startswith("-"))
    return exact, heads


@dataclass
class _Mention:
    entity: Entity
    entry: KBEntry | None = None


def _is_junk(text: str, entry: KBEntry | None) -> bool:
    if not any(ch.isalnum() for ch in text):
        return True
    if entry is not None:
        return False
    exact, heads = _not_names()
    if text in exact or ("-" in text and text.rsplit("-", 1)[1] in heads):
        return True
    words = text.split()
    return len(text) < 2 or (len(words) == 1 and text.islower())


def _names_exactly(entry: KBEntry, text: str) -> bool:
    """``text`` is one of the entry's names (or its genitive) as written, case included."""
    return any(text in (name, genitive(name), declined(name)) for name in entry.names)


def _compound_names(
    token: Token, kb: KnowledgeBase, confirmed: set[str]
) -> list[tuple[int, int, KBEntry]]:
    """KB names inside a hyphenated token, as (start_char, end_char, entry), longest first.

    "Luma-Gründer" -> Luma; "US-Start-up" -> USA; "Coca-Cola-Chef" -> Coca-Cola. Names that
    are also ordinary words ("Bild-KI") count only when the doc names the entity elsewhere.
    """
    parts = token.text.split("-")
    if len(parts) < 2:
        return []
    offsets = []
    position = 0
    for part in parts:
        offsets.append(position)
        position += len(part) + 1
    found: list[tuple[int, int, KBEntry]] = []
    used = [False] * len(parts)
    spans = sorted(
        ((i, j) for i in range(len(parts)) for j in range(i + 1, len(parts) + 1)),
        key=lambda ij: (-(ij[1] - ij[0]), ij[0]),
    )
    for i, j in spans:
        if j - i == len(parts) or any(used[i:j]):
            continue
        candidate = "-".join(parts[i:j])
        if not candidate[:1].isupper():
            continue
        entry = kb.lookup(candidate)
        if entry is None or not _names_exactly(entry, candidate):
            continue
        if not entry.is_sure(candidate) and not ({entry.id, entry.company_id} & confirmed):
            continue
        for k in range(i, j):
            used[k] = True
        start = token.idx + offsets[i]
        found.append((start, start + len(candidate), entry))
    return found


def _model_entry(span: Span, kb: KnowledgeBase) -> KBEntry | None:
    """The KB entry of a statistical entity, when the KB knows the name and the model's
    label does not contradict an ambiguous name."""
    if span.label_ not in ("ORG", "LOC", "MISC", "PRODUCT"):
        return None
    entry = kb.lookup(span.text, label=span.label_ if span.label_ in KB_LABELS else None)
    if entry is None:
        return None
    if entry.is_sure(span.text) or span.label_ in CONFIRMING_LABELS.get(entry.label, ()):
        return entry
    return None


def _source(span: Span) -> str:
    if span.kb_id_ in (MONEY_ID, DATE_ID):
        return "pattern"
    return "kb" if span.kb_id_ else "model"


def _collect(doc: Doc, kb: KnowledgeBase) -> list[_Mention]:
    ents = [(ent, kb.get(ent.kb_id_) if ent.kb_id_ else _model_entry(ent, kb)) for ent in doc.ents]
    # entities the doc names for sure: they confirm ambiguous names inside compounds
    confirmed = {e.id for _, e in ents if e is not None}
    confirmed |= {e.company_id for _, e in ents if e is not None and e.company_id}
    mentions: list[_Mention] = []
    titles = _person_titles()

    def add_compound(token: Token) -> bool:
        names = _compound_names(token, kb, confirmed)
        for start, end, entry in names:
            entity = Entity(doc.text[start:end], entry.label, start, end, source="compound")
            mentions.append(_Mention(entity, entry))
        return bool(names)

    covered = [False] * len(doc)
    for ent, entry in ents:
        for i in range(ent.start, ent.end):
            covered[i] = True
        first = ent[0]
        # "Nike-Sneakern" (MISC) or "Luma-Gründer Jain" (PER): the name in the compound is a
        # mention of its own, the rest of the entity stays
        compound = entry is None and "-" in first.text and kb.lookup(first.text) is None
        if compound and add_compound(first):
            if len(ent) == 1:
                continue
            ent = Span(doc, ent.start + 1, ent.end, label=ent.label_)
        if entry is None and len(ent) == 1 and ent.text.rsplit("-", 1)[-1].casefold() in titles:
            continue  # "Tech-Unternehmer", "CEO": a role, not a name
        if ent.label_ == "PER":
            # "CEO Jain" -> "Jain"
            start = ent.start
            while start < ent.end - 1 and doc[start].lower_ in titles:
                start += 1
            if start != ent.start:
                ent = Span(doc, start, ent.end, label="PER")
        if _is_junk(ent.text, entry):
            continue
        label = entry.label if entry is not None else ent.label_
        entity = Entity(ent.text, label, ent.start_char, ent.end_char, source=_source(ent))
        mentions.append(_Mention(entity, entry))
    for i, token in enumerate(doc):
        if not covered[i] and "-" in token.text:
            add_compound(token)
    mentions.sort(key=lambda m: m.entity.start)
    return mentions


def _person_names(mentions: list[_Mention]) -> None:
    """Give each person mention its canonical full name: a surname or first name alone
    ("Jain") joins the nearest preceding full name ("Amit Jain"), else the first following."""
    persons = [m.entity for m in mentions if m.entity.label == "PER"]
    full = [(p.start, p.text.split()) for p in persons if len(p.text.split()) > 1]
    for person in persons:
        words = person.text.split()
        if len(words) > 1:
            person.canonical = " ".join(words)
            continue
        word = words[0]
        forms = {word, word[:-1]} if word.endswith("s") and len(word) > 3 else {word}
        matches = [(start, ws) for start, ws in full if ws[-1] in forms or ws[0] in forms]
        before = [m for m in matches if m[0] < person.start]
        chosen = before[-1] if before else (matches[0] if matches else None)
        person.canonical = " ".join(chosen[1]) if chosen else word


def _relabel_surnames(mentions: list[_Mention]) -> None:
    """A lone surname of a person named in full earlier is that person, whatever label the
    model gave it ("Amit Jain" ... "Jain" tagged LOC). Knowledge-base names keep theirs."""
    surnames: set[str] = set()
    for mention in mentions:
        entity = mention.entity
        words = entity.text.split()
        if entity.label == "PER" and len(words) > 1:
            surnames.add(words[-1])
        elif mention.entry is None and entity.label != "PER" and len(words) == 1:
            word = words[0]
            if word in surnames or (word.endswith("s") and word[:-1] in surnames):
                entity.label = "PER"


def _propagate_person_names(doc: Doc, mentions: list[_Mention]) -> list[_Mention]:
    """Mentions the model missed of persons it found: every further occurrence of a full
    name, and of its surname when the model itself tagged the surname alone somewhere
    ("Amit Jain" ... "Jain" ... "Jain"). Surnames that are also ordinary nouns ("Koch") are
    only propagated when the model took them for a person on their own."""
    full_names = {
        tuple(m.entity.text.split())
        for m in mentions
        if m.entity.label == "PER" and " " in m.entity.text
    }
    if not full_names:
        return mentions
    singles = {
        m.entity.text for m in mentions if m.entity.label == "PER" and " " not in m.entity.text
    }
    names = set(full_names)
    names |= {(words[-1],) for words in full_names if words[-1] in singles}
    names |= {(words[-1] + "s",) for words in full_names if words[-1] in singles}
    covered = [False] * len(doc)
    for mention in mentions:
        span = doc.char_span(mention.entity.start, mention.entity.end, alignment_mode="expand")
        if span is not None:
            for i in range(span.start, span.end):
                covered[i] = True
    longest = max(len(n) for n in names)
    added: list[_Mention] = []
    i = 0
    while i < len(doc):
        for size in range(min(longest, len(doc) - i), 0, -1):
            words = tuple(t.text for t in doc[i : i + size])
            if words in names and not any(covered[i : i + size]):
                span = doc[i : i + size]
                entity = Entity(span.text, "PER", span.start_char, span.end_char, source="model")
                added.append(_Mention(entity))
                i += size - 1
                break
        i += 1
    return sorted(mentions + added, key=lambda m: m.entity.start) if added else mentions


def _cluster_key(mention: _Mention) -> tuple[str, str]:
    entity = mention.entity
    if mention.entry is not None:
        return ("kb", mention.entry.id)
    if entity.label == "PER":
        return ("PER", entity.canonical)
    if entity.label in ("MONEY", "DATE"):
        return (entity.label, normalise(entity.text))
    return ("text", normalise(entity.text))


def extract_entities(doc: Doc) -> tuple[list[Entity], list[CanonicalEntity]]:
    """Entity mentions of the parsed doc and their canonical clusters."""
    kb = load_kb()
    mentions = _collect(doc, kb)
    _relabel_surnames(mentions)
    mentions = _propagate_person_names(doc, mentions)
    _person_names(mentions)
    keys = [_cluster_key(m) for m in mentions]
    # fold genitives of unknown names onto the plain form present in the doc ("Xyzs" -> "Xyz")
    text_keys = {k for kind, k in keys if kind == "text"}
    keys = [
        ("text", k[:-1])
        if kind == "text" and k.endswith("s") and k[:-1] in text_keys
        else (kind, k)
        for kind, k in keys
    ]
    clusters: dict[tuple[str, str], list[_Mention]] = {}
    for key, mention in zip(keys, mentions, strict=True):
        clusters.setdefault(key, []).append(mention)
    canonical: list[CanonicalEntity] = []
    for members in clusters.values():
        entry = members[0].entry
        if entry is not None:
            name, label, region = entry.name, entry.label, entry.region
        else:
            label = Counter(m.entity.label for m in members).most_common(1)[0][0]
            if label == "PER":
                name = members[0].entity.canonical
            else:
                name = min((m.entity.text for m in members), key=len)
            region = None
        for member in members:
            member.entity.canonical = name
            member.entity.label = label
        canonical.append(
            CanonicalEntity(
                name=name,
                label=label,
                mentions=[(m.entity.start, m.entity.end) for m in members],
                kb_id=entry.id if entry is not None else None,
                region=region,
            )
        )
    canonical.sort(key=lambda c: c.first_position)
    return [m.entity for m in mentions], canonical
