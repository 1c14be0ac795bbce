"""Loads the spaCy pipeline: an official German model if installed, else the shipped one.

Tiers, best first: ``de_core_news_lg``, ``de_core_news_md``, ``de_core_news_sm`` (if a
user installed one), then NewsLens' own model in ``models/de_newslens_ner``, then a blank
German pipeline so the app still runs without any model.

On top of any tier, at load time (components in pipeline order):

- the tokenizer keeps the abbreviations of ``data/patterns/abbreviations.txt`` whole
  ("Mio.", "Prof.", "z.B.") and splits the final period off years ("2017." -> "2017" ".");
  ordinals ("1.") stay one token, quotes („ “ » « ") are separate tokens, hyphenated
  compounds ("Luma-Gründer", "US-Start-up") stay one token;
- ``newslens_number_periods`` splits "3." into "3" + "." where it ends a sentence
  ("folgte Ray 3."), keeping ordinals ("am 3. Oktober");
- ``newslens_sentences`` splits sentences at terminal punctuation (plus closing quotes) and
  at every line break, so headlines without a final period are sentences of their own;
  with a parser/senter, ``newslens_line_breaks`` only adds the line-break boundaries;
- the statistical components of the tier (``tok2vec``, ``ner``);
- ``newslens_ruler`` (spaCy's SpanRuler; PhraseMatcher phrase patterns) marks knowledge-base
  names (ORG, PRODUCT, LOC; generated genitives included) into ``doc.spans["newslens_rules"]``;
- ``newslens_money_dates`` adds MONEY and DATE matches (token patterns built from
  ``data/patterns/money.yaml`` and ``dates.yaml``) to the same span group;
- ``newslens_entity_merge`` merges those with the statistical entities (see
  :func:`merge_entities` for the precedence) into ``doc.ents``; KB entities carry their KB id
  in ``Span.kb_id_``, MONEY/DATE spans ``pattern.money`` / ``pattern.date``.

Names the KB marks ambiguous ("Genie", "Bayer", "Runway") count only when confirmed: the
statistical model gives them a compatible label, the doc names the same entity (or the
product's maker) unambiguously elsewhere, a legal form follows ("Bayer AG"), or a cue noun
precedes ("das US-Start-up Runway", see ``data/patterns/context_cues.yaml``).
"""

from __future__ import annotations

import functools
import itertools
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import spacy
from spacy.attrs import IS_SPACE, ORTH, SENT_START, SHAPE, SPACY
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.strings import hash_string
from spacy.tokens import Doc, Span
from spacy.util import compile_suffix_regex, filter_spans

from pipeline.kb import KnowledgeBase, load_kb, read_yaml
from pipeline.money import money_token_patterns, parse_money
from pipeline.money import vocabulary as money_vocabulary

OFFICIAL_MODELS = ("de_core_news_lg", "de_core_news_md", "de_core_news_sm")
SHIPPED_MODEL = Path(__file__).resolve().parent.parent / "models" / "de_newslens_ner"
PATTERNS_DIR = Path(__file__).resolve().parent / "data" / "patterns"

RULES_KEY = "newslens_rules"
AMBIGUOUS_MARK = "?"  # suffix of a ruler pattern id whose name needs confirmation
MONEY_ID, DATE_ID = "pattern.money", "pattern.date"
# which statistical labels confirm an ambiguous KB name of a given KB label
CONFIRMING_LABELS = {"ORG": {"ORG"}, "PRODUCT": {"ORG", "MISC", "PRODUCT"}, "LOC": {"LOC"}}


# --- tokenizer -------------------------------------------------------------------------


def _abbreviations() -> list[str]:
    text = (PATTERNS_DIR / "abbreviations.txt").read_text(encoding="utf-8")
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def customise_tokenizer(nlp: Language) -> None:
    tokenizer = nlp.tokenizer
    for abbreviation in _abbreviations():
        tokenizer.add_special_case(abbreviation, [{"ORTH": abbreviation}])
    # "2017." at a sentence end is a year and a period; "1." (ordinal) stays whole
    suffixes = [*nlp.Defaults.suffixes, r"(?<=[0-9]{3})\."]
    tokenizer.suffix_search = compile_suffix_regex(suffixes).search


# --- sentences -------------------------------------------------------------------------


@dataclass(frozen=True)
class _SentenceRules:
    terminals: np.ndarray  # hashes of tokens made only of terminal characters
    brackets: frozenset[int]
    quotes: frozenset[int]
    quote_texts: frozenset[str]


@functools.lru_cache(maxsize=1)
def _sentence_rules() -> _SentenceRules:
    data = read_yaml(PATTERNS_DIR / "sentences.yaml")
    chars = data["terminals"]
    terminal_texts = {"".join(p) for n in range(1, 5) for p in itertools.product(chars, repeat=n)}
    return _SentenceRules(
        terminals=np.array(sorted(hash_string(t) for t in terminal_texts), dtype=np.uint64),
        brackets=frozenset(hash_string(t) for t in data["closing_brackets"]),
        quotes=frozenset(hash_string(t) for t in data["quotes"]),
        quote_texts=frozenset(data["quotes"]),
    )


def sentence_starts(doc: Doc) -> np.ndarray:
    """SENT_START values (1 start, -1 inside) by the rules in the module docstring.

    Works on token hashes and visits only terminals and line breaks, so it costs little
    more than ``doc.to_array``.
    """
    rules = _sentence_rules()
    n = len(doc)
    starts = np.full(n, -1, dtype=np.int64)
    if not n:
        return starts
    starts[0] = 1
    columns = doc.to_array([ORTH, IS_SPACE, SPACY])
    orth, is_space, spaced = columns[:, 0], columns[:, 1].astype(bool), columns[:, 2].astype(bool)
    terminal = np.isin(orth, rules.terminals)
    candidates = np.flatnonzero(terminal | is_space)
    for i in candidates.tolist():
        if is_space[i]:
            if "\n" not in doc[i].text:
                continue
            j = i + 1
            while j < n and is_space[j]:
                j += 1
            if j < n:
                starts[j] = 1
            continue
        j = i + 1
        # closing brackets and quotes attached to the terminal still end this sentence
        while j < n and (
            orth[j] in rules.brackets
            or (orth[j] in rules.quotes and not spaced[j - 1] and not is_space[j - 1])
        ):
            j += 1
        while j < n and is_space[j]:
            j += 1
        if j < n and not doc[j].text[:1].islower():
            starts[j] = 1
    return starts


@functools.lru_cache(maxsize=1)
def _ordinal_rules() -> tuple[frozenset[str], frozenset[str], frozenset[int]]:
    context = frozenset(read_yaml(PATTERNS_DIR / "sentences.yaml")["ordinal_context"])
    months = frozenset(_date_vocabulary()["months"])
    return context, months, frozenset(hash_string(s) for s in ("d.", "dd."))


@Language.component("newslens_number_periods")
def split_number_periods(doc: Doc) -> Doc:
    """Split "3." into "3" + "." where it ends a sentence ("folgte Ray 3."), keep ordinals."""
    context, months, shapes = _ordinal_rules()
    n = len(doc)
    shape_column = doc.to_array([SHAPE])
    splits = []
    for i in np.flatnonzero(np.isin(shape_column, list(shapes))).tolist():
        previous = doc[i - 1] if i else None
        if previous is None or not previous.is_title or previous.lower_ in context:
            continue
        following = doc[i + 1] if i + 1 < n else None
        if (
            following is None
            or (following.is_space and "\n" in following.text)
            or (following.text[:1].isupper() and following.text not in months)
        ):
            splits.append(doc[i])
    if splits:
        with doc.retokenize() as retokenizer:
            for token in splits:
                retokenizer.split(token, [token.text[:-1], "."], heads=[token, token])
    return doc


@Language.component("newslens_sentences")
def split_sentences(doc: Doc) -> Doc:
    starts = sentence_starts(doc)
    if len(starts):
        doc.from_array([SENT_START], starts.reshape(-1, 1).astype(np.uint64))
    return doc


@Language.component("newslens_line_breaks")
def split_at_line_breaks(doc: Doc) -> Doc:
    """Before a parser/senter: only force boundaries at line breaks, the model does the rest."""
    for i, token in enumerate(doc):
        if i and doc[i - 1].is_space and "\n" in doc[i - 1].text and not token.is_space:
            token.is_sent_start = True
    return doc


# --- rules: KB names, money, dates -----------------------------------------------------


@functools.lru_cache(maxsize=1)
def _date_vocabulary() -> dict:
    data = read_yaml(PATTERNS_DIR / "dates.yaml")
    first, last = data["year_range"]
    data["year_regex"] = (
        rf"^(?:{'|'.join(str(c) for c in range(first // 100, last // 100 + 1))})\d\d$"
    )
    data["single_prepositions"] = [p for p in data["prepositions"] if " " not in p]
    return data


def date_token_patterns() -> list[list[dict]]:
    data = _date_vocabulary()
    month = {"ORTH": {"IN": data["months"]}}
    # SHAPE is cached per word (REGEX would run on every token); _rule_spans checks the range
    year = {"SHAPE": "dddd"}
    optional_year = {**year, "OP": "?"}
    day = {"SHAPE": {"IN": ["d.", "dd."]}}
    numeric_date = {
        "SHAPE": {
            "IN": [f"{d}.{m}.{y}" for d in ("d", "dd") for m in ("d", "dd") for y in ("dd", "dddd")]
        }
    }
    qualifier = {"ORTH": {"IN": data["qualifiers"]}}
    preposition = {"ORTH": {"IN": data["single_prepositions"]}}
    weekday = {"ORTH": {"IN": data["weekdays"]}}
    quarter = [{"LOWER": {"IN": data["quarters"]}}, {"ORTH": {"IN": data["quarter_words"]}}]
    return [
        [day, month, optional_year],  # 1. Februar 2025
        [weekday, {"ORTH": ",", "OP": "?"}, day, month, optional_year],  # Montag, 3. März
        [{**qualifier, "OP": "?"}, month, year],  # (Anfang) Februar 2025
        [qualifier, year],  # Anfang 2024
        [preposition, {**qualifier, "OP": "?"}, month],  # im (Mai) September -> trimmed
        [preposition, weekday],  # am Montag -> trimmed
        [preposition, *quarter, optional_year],  # im ersten Quartal 2025 -> trimmed
        [year],  # 2017
        [numeric_date],  # 01.02.2025
    ]


def ruler_patterns(kb: KnowledgeBase) -> list[dict]:
    patterns: list[dict] = [
        {"label": entry.label, "pattern": form, "id": entry.id + ("" if sure else AMBIGUOUS_MARK)}
        for entry, form, sure in kb.surface_forms()
    ]
    return patterns


class MoneyDatePatterns:
    """MONEY and DATE token patterns, matched only in windows around anchor tokens
    (currencies, months, weekdays, years).

    A token Matcher costs every pattern at every token (~10 µs/word for these patterns,
    a large share of the NER pass); anchors (currencies, months, years, ...) are a few per
    cent of the tokens. Matches join the SpanRuler's span group.
    """

    WINDOW = 5  # tokens either side of an anchor: longer than any pattern

    def __init__(self, vocab):
        self.matcher = Matcher(vocab)
        self.matcher.add("MONEY", money_token_patterns())
        self.matcher.add("DATE", date_token_patterns())
        money = money_vocabulary()
        dates = _date_vocabulary()
        # every MONEY pattern has a currency, every DATE pattern a month, weekday,
        # qualifier, quarter word or year-like number: those are the anchors
        words = [
            *money.currencies,
            *dates["months"],
            *dates["weekdays"],
            *dates["qualifiers"],
            *dates["quarter_words"],
        ]
        words += [word for currency in money.currencies for word in currency.split()]
        self.orth_anchors = frozenset(hash_string(w) for w in words)
        shapes = [
            "dddd",
            *(f"{d}.{m}.{y}" for d in ("d", "dd") for m in ("d", "dd") for y in ("dd", "dddd")),
        ]
        self.shape_anchors = frozenset(hash_string(s) for s in shapes)

    def __call__(self, doc: Doc) -> Doc:
        columns = doc.to_array([ORTH, SHAPE]).tolist()
        anchors = [
            i
            for i, (orth, shape) in enumerate(columns)
            if orth in self.orth_anchors or shape in self.shape_anchors
        ]
        if not anchors:
            return doc
        windows: list[list[int]] = []
        for i in anchors:
            start, end = max(0, i - self.WINDOW), min(len(doc), i + self.WINDOW + 1)
            if windows and start <= windows[-1][1]:
                windows[-1][1] = end
            else:
                windows.append([start, end])
        found: list[Span] = []
        for start, end in windows:
            for match_id, match_start, match_end in self.matcher(doc[start:end]):
                label = doc.vocab.strings[match_id]
                span_id = MONEY_ID if label == "MONEY" else DATE_ID
                found.append(
                    Span(doc, start + match_start, start + match_end, label=label, span_id=span_id)
                )
        group = list(doc.spans[RULES_KEY]) if RULES_KEY in doc.spans else []
        doc.spans[RULES_KEY] = group + found
        return doc


@Language.factory("newslens_money_dates")
def make_money_date_patterns(nlp: Language, name: str) -> MoneyDatePatterns:
    return MoneyDatePatterns(nlp.vocab)


@functools.lru_cache(maxsize=1)
def _legal_form_tokens() -> tuple[tuple[str, ...], ...]:
    """Legal forms as token sequences, longest first ("GmbH & Co. KG" before "GmbH")."""
    tokenizer = spacy.blank("de").tokenizer
    forms = {tuple(t.text for t in tokenizer(form)) for form in load_kb().legal_forms}
    return tuple(sorted(forms, key=len, reverse=True))


@functools.lru_cache(maxsize=1)
def _legal_form_starts() -> frozenset[str]:
    return frozenset(form[0] for form in _legal_form_tokens())


def _extend_over_legal_form(doc: Doc, start: int, end: int) -> int:
    forms = _legal_form_tokens()
    if end >= len(doc) or doc[end].text not in _legal_form_starts():
        return end
    for form in forms:
        stop = end + len(form)
        if stop <= len(doc) and tuple(t.text for t in doc[end:stop]) == form:
            return stop
    return end


@functools.lru_cache(maxsize=1)
def _context_cues() -> dict[str, frozenset[str]]:
    data = read_yaml(PATTERNS_DIR / "context_cues.yaml")
    return {key: frozenset(words) for key, words in data.items()}


def _cue_before(doc: Doc, start: int, label: str) -> bool:
    """Is the word before ``start`` (skipping quotes) a noun that names the kind of thing
    ``label`` is ("Start-up" before an ORG, "Modell" before a PRODUCT)?"""
    cues = _context_cues().get(label, frozenset())
    quotes = _sentence_rules().quote_texts
    i = start - 1
    while i >= 0 and doc[i].text in quotes:
        i -= 1
    if i < 0:
        return False
    word = doc[i].lower_
    return word in cues or any(word.endswith("-" + cue) for cue in cues)


def _rule_spans(doc: Doc, kb: KnowledgeBase) -> list[Span]:
    """Ruler matches after confirming ambiguous names, extending legal forms and trimming
    prepositions off dates; overlapping matches resolved longest-first."""
    data = _date_vocabulary()
    prepositions = set(data["single_prepositions"])
    year_regex = re.compile(data["year_regex"])
    model_labels = {(e.start, e.end): e.label_ for e in doc.ents}
    raw = list(doc.spans.get(RULES_KEY, []))
    # ids named unambiguously somewhere in the doc, and the companies of products named so
    confirmed: set[str] = set()
    for span in raw:
        if (
            span.id_
            and not span.id_.endswith(AMBIGUOUS_MARK)
            and span.label_ not in ("MONEY", "DATE")
        ):
            entry = kb.get(span.id_)
            confirmed.add(span.id_)
            if entry is not None and entry.company_id:
                confirmed.add(entry.company_id)
    spans: list[Span] = []
    for span in raw:
        start, end, kb_id = span.start, span.end, span.id_
        if span.label_ == "DATE":
            if any(t.shape_ == "dddd" and not year_regex.match(t.text) for t in span):
                continue  # "3000" is no year
            while end - start > 1 and doc[start].text in prepositions:
                start += 1
            if end - start == 1 and year_regex.match(doc[start].text) and end < len(doc):
                following = doc[end]
                if following.is_title and following.is_alpha:  # "2000 Mitarbeiter"
                    continue
            spans.append(Span(doc, start, end, label="DATE", kb_id=DATE_ID))
            continue
        if span.label_ == "MONEY":
            if parse_money(span.text) is None:
                continue  # "Euro 6d" (an emission norm)
            spans.append(Span(doc, start, end, label="MONEY", kb_id=MONEY_ID))
            continue
        if span.label_ == "ORG":
            end = _extend_over_legal_form(doc, start, end)
        if kb_id.endswith(AMBIGUOUS_MARK):
            kb_id = kb_id[: -len(AMBIGUOUS_MARK)]
            entry = kb.get(kb_id)
            agrees = model_labels.get((start, end)) in CONFIRMING_LABELS.get(span.label_, ())
            related = {kb_id, entry.company_id} if entry is not None else {kb_id}
            cued = _cue_before(doc, start, span.label_)
            if not (agrees or cued or end > span.end or related & confirmed):
                continue
        spans.append(Span(doc, start, end, label=span.label_, kb_id=kb_id))
    return filter_spans(spans)


def _model_wins(model: Span, rule: Span, kb: KnowledgeBase, rule_at: list[int]) -> bool:
    """A statistical entity beats an overlapping rule span only when it strictly contains it
    and is the same KB entity ("Deutsche Telekom AG") or a longer proper name whose other
    words are names too ("Harrison Ford", "Europa League"), or the rule is a MONEY/DATE.
    "US-Firma Luma", "Firma Luma" or a PER "Googles Modell Veo" lose to the KB."""
    contains = model.start <= rule.start and model.end >= rule.end and len(model) > len(rule)
    if not contains:
        return False
    if rule.label_ in ("MONEY", "DATE"):
        return True
    entry = kb.lookup(model.text)
    if entry is not None:
        return entry.id == rule.kb_id_
    cues = _context_cues().get(rule.label_, frozenset())
    particles = _context_cues()["name_particles"]
    for t in model:
        if rule.start <= t.i < rule.end:
            continue
        inner = model.start < t.i < model.end - 1
        if rule_at[t.i] >= 0 or t.lower_ in cues:
            return False  # another KB name, or "Firma" in "Firma Luma"
        if not ((t.is_alpha and t.text[0].isupper()) or (inner and t.lower_ in particles)):
            return False  # "US-Firma", "1:32,304", "Modell"
    return True


def _remainder(model: Span, rules: list[Span], rule_at: list[int]) -> Span | None:
    """What is left of a statistical entity that a KB name overlaps only partly (the KB name
    reaches outside it), when the rest still looks like a name: the model's PER "A Rebic"
    in "Serie A Rebic" -> "Rebic". A KB name inside the entity ("US-Firma Luma") leaves
    nothing."""
    overlapping = {rule_at[t.i] for t in model if rule_at[t.i] >= 0}
    if not any(rules[r].start < model.start or rules[r].end > model.end for r in overlapping):
        return None
    outside = [t.i for t in model if rule_at[t.i] < 0]
    if not outside or outside[-1] - outside[0] + 1 != len(outside):
        return None
    if not model.doc[outside[0]].text[:1].isupper():
        return None
    return Span(model.doc, outside[0], outside[-1] + 1, label=model.label_)


def merge_entities(doc: Doc, kb: KnowledgeBase) -> Doc:
    """Statistical entities + rule spans -> ``doc.ents``.

    Precedence: KB names the KB is sure of (or that the context confirms) overwrite the
    model's label and span, so "Sora" is PRODUCT and "Luma" ORG whatever the model says; the
    model keeps a longer span that contains a KB name when it is the same entity ("Deutsche
    Telekom AG") or a longer name ("Harrison Ford", see :func:`_model_wins`); everything the
    KB does not know stays as the model found it.
    """
    rules = _rule_spans(doc, kb)
    if not rules:
        return doc
    rule_at = [-1] * len(doc)
    for index, rule in enumerate(rules):
        for i in range(rule.start, rule.end):
            rule_at[i] = index
    kept_model: list[Span] = []
    for ent in doc.ents:
        overlapping = {rule_at[i] for i in range(ent.start, ent.end) if rule_at[i] >= 0}
        if all(_model_wins(ent, rules[r], kb, rule_at) for r in overlapping):
            kept_model.append(ent)
        elif rest := _remainder(ent, rules, rule_at):
            kept_model.append(rest)
    taken = [False] * len(doc)
    for ent in kept_model:
        for i in range(ent.start, ent.end):
            taken[i] = True
    kept_rules = [r for r in rules if not any(taken[r.start : r.end])]
    doc.ents = sorted(kept_model + kept_rules, key=lambda s: s.start)
    return doc


@Language.component("newslens_entity_merge")
def merge_entities_component(doc: Doc) -> Doc:
    return merge_entities(doc, load_kb())


# --- loading ---------------------------------------------------------------------------


def _load_base() -> tuple[Language, str]:
    for name in OFFICIAL_MODELS:
        try:
            return spacy.load(name), name
        except OSError:
            continue
    if (SHIPPED_MODEL / "config.cfg").exists():
        return spacy.load(SHIPPED_MODEL), SHIPPED_MODEL.name
    return spacy.blank("de"), "blank:de"


def add_newslens_components(nlp: Language) -> Language:
    """Tokenizer rules, sentence splitter, KB/pattern ruler and the entity merge."""
    customise_tokenizer(nlp)
    nlp.add_pipe("newslens_number_periods", first=True)
    sentence_model = next((p for p in ("parser", "senter") if nlp.has_pipe(p)), None)
    if sentence_model:
        nlp.add_pipe("newslens_line_breaks", before=sentence_model)
    else:
        nlp.add_pipe("newslens_sentences", after="newslens_number_periods")
    ruler = nlp.add_pipe(
        "span_ruler",
        name="newslens_ruler",
        config={"spans_key": RULES_KEY, "annotate_ents": False, "overwrite": False},
    )
    # SpanRuler runs pattern texts through the earlier pipes; only the tokenizer is needed
    with nlp.select_pipes(enable=["newslens_ruler"]):
        ruler.add_patterns(ruler_patterns(load_kb()))
    nlp.add_pipe("newslens_money_dates", after="newslens_ruler")
    nlp.add_pipe("newslens_entity_merge", after="newslens_money_dates")
    return nlp


@functools.lru_cache(maxsize=1)
def _load() -> tuple[Language, str]:
    nlp, name = _load_base()
    return add_newslens_components(nlp), name


def load_nlp() -> Language:
    """The process-wide spaCy pipeline (loaded once)."""
    return _load()[0]


def model_name() -> str:
    """Which tier ``load_nlp`` picked, e.g. ``de_newslens_ner`` or ``de_core_news_lg``."""
    return _load()[1]
