"""Quotes stage: direct and indirect quotes with their speakers.

Entry point: ``extract_quotes(doc, entities, canonical) -> list[Quote]``.

1. ``marks`` pairs quotation marks (all German and English conventions);
2. ``direct`` keeps the quoted spans that are speech and finds their cue;
3. ``indirect`` finds reported speech sentence by sentence (cue verbs, Konjunktiv I, sources);
4. ``speakers`` names the speaker: the name, role noun or pronoun in the cue, resolved to a
   canonical person of the entities stage (or of a capitalised-name heuristic when the NER
   finds no people). Quotes without a cue of their own continue the previous speaker; teaser
   lines ("Lesen Sie auch: „…“") have none. A headline quote takes the speaker of the same
   quote in the body, else the person its prefix names ("Danny Boyle: „…“"). Interview turns
   ("Jain: Wir wollen …") are direct quotes of the person named.

Decisions: "laut X", "X zufolge" and "Seiner Meinung nach …" count as indirect quotes (the last
is borderline: it attributes the content to a person); unnamed speakers ("ein Sprecher",
"Medien") stay None rather than guessed. Only tokens, sentences and entities are used, so the
stage works the same with the blank, the shipped or an official model.
Evaluation: ``python -m pipeline.quotes.evaluate`` (gold in tests/data/quotes_gold/).
"""

from __future__ import annotations

import re
from collections import Counter

from pipeline.model import Quote
from pipeline.quotes.direct import DirectCandidate, direct_candidates, interview_answers
from pipeline.quotes.indirect import IndirectCandidate, indirect_candidates
from pipeline.quotes.marks import find_marked_spans
from pipeline.quotes.resources import get_resources
from pipeline.quotes.speakers import Mention, PersonIndex, build_index, resolve_mention, tokenize

__all__ = ["extract_quotes"]

CONTINUATION_SENTENCES = 3  # a quote without a cue continues a speaker this many sentences back
NEARBY_PERSON_SENTENCES = 2  # … else the person named this close before it


def _sentences(doc) -> list[tuple[int, int]]:
    """Sentence spans of the parsed doc, also split at line breaks (headlines, subheads)."""
    text = doc.text
    spans: list[tuple[int, int]] = []
    for sent in doc.sents:
        start = sent.start_char
        for match in re.finditer(r"\n+", text[sent.start_char : sent.end_char]):
            end = sent.start_char + match.start()
            if end > start:
                spans.append((start, end))
            start = sent.start_char + match.end()
        if sent.end_char > start:
            spans.append((start, sent.end_char))
    return spans or [(0, len(text))]


def _resolve_windows(
    index: PersonIndex,
    windows,
    *,
    marked,
    last,
    prefer_last=False,
    persons_only=False,
    subject_first=False,
):
    for allow_orgs in (False,) if persons_only else (False, True):
        for start, end in windows:
            if end <= start:
                continue
            mention = resolve_mention(
                index,
                start,
                end,
                marked=marked,
                last_speaker=last,
                prefer_last=prefer_last,
                allow_orgs=allow_orgs,
                subject_first=subject_first,
            )
            if mention is not None:
                return mention
    return None


def _normalised(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def extract_quotes(doc, entities, canonical) -> list[Quote]:
    """All direct and indirect quotes of the parsed doc, in text order."""
    text = doc.text
    if not text.strip():
        return []
    sentences = _sentences(doc)
    marked = find_marked_spans(text)
    directs = direct_candidates(text, marked)
    index = build_index(doc, entities, canonical, text, sentences)
    directs = sorted(
        [*directs, *interview_answers(text, index, directs)], key=lambda d: d.span.start
    )
    index.quoted_spans = [(d.span.start, d.span.end) for d in directs]
    index.finish()
    bounds = [
        (
            d.span.open_at,
            d.span.start,
            d.span.end,
            d.span.close_at if d.span.close_at is not None else d.span.end,
        )
        for d in directs
    ]
    indirects = indirect_candidates(text, sentences, bounds)

    items: list[DirectCandidate | IndirectCandidate] = [*directs, *indirects]
    items.sort(key=lambda c: c.span.start if isinstance(c, DirectCandidate) else c.start)
    quotes: list[Quote] = []
    last: Mention | None = None
    last_sentence = -100
    last_indirect_sentence = -100
    taken_until = -1
    headlines: list[tuple[Quote, DirectCandidate]] = []
    for cand in items:
        is_direct = isinstance(cand, DirectCandidate)
        start, end = (cand.span.start, cand.span.end) if is_direct else (cand.start, cand.end)
        if not is_direct and start < taken_until:
            continue  # overlaps a quote already taken
        sentence = index.sentence_of(start)
        if cand.cue_kind == "konj2" and sentence - last_indirect_sentence > 1:
            continue  # Konjunktiv II continues reported speech only right after it
        mention: Mention | None = None
        recent = last is not None and sentence - last_sentence <= CONTINUATION_SENTENCES
        if cand.cue_kind in ("teaser", "impersonal"):
            mention = None
        elif cand.cue_kind in ("continuation", "konj2"):
            # reported speech without a cue of its own: the speaker of the direct quote that
            # follows in the same sentence, else the speaker just before, else its pronoun
            cutting = directs[cand.before_quote] if cand.before_quote is not None else None
            if cutting is not None and cutting.windows:
                mention = _resolve_windows(
                    index,
                    cutting.windows,
                    marked=marked,
                    last=last,
                    persons_only=cutting.cue_kind == "colon-weak",
                )
            if mention is None and recent:
                mention = last
            if mention is None and cand.windows:
                mention = _resolve_windows(
                    index, cand.windows, marked=marked, last=last, persons_only=True
                )
        else:
            if cand.windows:
                mention = _resolve_windows(
                    index,
                    cand.windows,
                    marked=marked,
                    last=last,
                    prefer_last=getattr(cand, "prefer_last", False),
                    persons_only=cand.cue_kind == "colon-weak",
                    subject_first=cand.cue_kind in ("after", "post"),
                )
            if mention is None and cand.cue_kind != "source":
                if recent:
                    mention = last
                elif is_direct:
                    mention = index.recent_person(start, max_sentences=NEARBY_PERSON_SENTENCES)
        quote = Quote(
            text=text[start:end],
            start=start,
            end=end,
            kind="direct" if is_direct else "indirect",
            speaker=mention.name if mention else None,
            speaker_start=mention.start if mention and mention.name else None,
            speaker_end=mention.end if mention and mention.name else None,
            cue=cand.cue,
        )
        quotes.append(quote)
        taken_until = max(taken_until, end)
        if is_direct and cand.headline:
            headlines.append((quote, cand))
            continue
        if not is_direct:
            last_indirect_sentence = index.sentence_of(end)
        if cand.cue_kind == "teaser" or (cand.cue_kind == "source" and quote.speaker is None):
            continue  # a teaser or an anonymous source ("Medien zufolge") hands on no speaker
        last = mention
        last_sentence = index.sentence_of(end)
    _headline_speakers(index, quotes, headlines, marked)
    _run_on_speakers(quotes, directs)
    return quotes


def _run_on_speakers(quotes: list[Quote], directs: list[DirectCandidate]) -> None:
    """A quote running over several paragraphs is named by the cue of its last part."""
    by_start = {d.span.start: d for d in directs}
    direct_quotes = [q for q in quotes if q.kind == "direct"]
    for i in range(len(direct_quotes) - 2, -1, -1):
        quote = direct_quotes[i]
        cand = by_start.get(quote.start)
        if cand is not None and cand.span.close_at is None:
            nxt = direct_quotes[i + 1]
            quote.speaker, quote.speaker_start, quote.speaker_end = (
                nxt.speaker,
                nxt.speaker_start,
                nxt.speaker_end,
            )


def _headline_speakers(index: PersonIndex, quotes, headlines, marked) -> None:
    """A headline quote is said by whoever says it in the body, else whom its prefix names."""
    body = [q for q in quotes if q.kind == "direct" and all(q is not h for h, _ in headlines)]
    counts = Counter(q.speaker for q in body if q.speaker)
    main_speaker = counts.most_common(1)[0][0] if counts else None
    for quote, cand in headlines:
        key = _normalised(quote.text)
        match = next((q for q in body if _normalised(q.text) == key), None) or next(
            (q for q in body if key and key in _normalised(q.text)), None
        )
        if match is not None:
            quote.speaker, quote.speaker_start, quote.speaker_end = (
                match.speaker,
                match.speaker_start,
                match.speaker_end,
            )
            continue
        mention = None
        if cand.headline_prefix is not None:
            p_start, p_end = cand.headline_prefix
            roles = [
                t
                for t in tokenize(index.text, p_start, p_end)
                if get_resources().is_role_noun(t.text)
            ]
            if roles and not index.person_at(p_start, p_end):
                mention = Mention(roles[0].start, roles[0].end, None, "role")
            else:
                mention = _resolve_windows(index, (cand.headline_prefix,), marked=marked, last=None)
        if mention is not None and mention.kind == "role":
            # "UFC-Boss: „…“": the role is the article's main speaker
            quote.speaker = main_speaker
            quote.speaker_start, quote.speaker_end = (
                (mention.start, mention.end) if main_speaker else (None, None)
            )
        elif mention is not None and mention.name:
            quote.speaker, quote.speaker_start, quote.speaker_end = (
                mention.name,
                mention.start,
                mention.end,
            )
        else:
            quote.speaker = quote.speaker_start = quote.speaker_end = None
