"""Direct quotes: which quoted spans are speech, and the cue that introduces each.

A quoted span is speech when a cue frames it ("„…“, sagt Jain", "Jain erklärt: „…“", a teaser
marker) or when its content reads as a clause (a pronoun, auxiliary, modal or negation, or
sentence punctuation; at least three words). Names, titles and scare quotes („Genie“,
"Dream Machine", „Die Chroniken von Narnia“) have neither; a quoted word glued to a compound
("„Twilight“-Star") is never a quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.quotes.marks import MarkedSpan
from pipeline.quotes.resources import Resources, get_resources
from pipeline.quotes.speakers import tokenize

_WORD = re.compile(r"\w+(?:[.'’-]\w+)*")
_ARTICLES = {"der", "die", "das", "ein", "eine", "einer"}
_CLAUSE_END = re.compile(r"[.;!?„“”\"«»\n]")
_WINDOW_END = re.compile(r"[,.;:!?„“”\"«»()\n]")
_SENTENCE_END = re.compile(r"[.;!?\n]")
_AFTER_CLOSE = re.compile(r"[ \t]*(,)?[ \t]*(?:[–-][ \t]*)?")
_SENTENCE_START = re.compile(r"(?:[.!?]\s|[.!?][“”\"«»]\s*|\n)")


@dataclass
class DirectCandidate:
    span: MarkedSpan
    cue: str | None = None
    cue_kind: str | None = None  # after | colon | colon-weak | teaser | impersonal | interview
    windows: tuple[tuple[int, int], ...] = ()  # where the speaker is named, searched in order
    prefer_last: bool = False  # "zitierte die Bild Frauke Mahr": the quoted person is last
    headline: bool = False
    headline_prefix: tuple[int, int] | None = None


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _clause_like(content: str, res: Resources) -> bool:
    words = [w.lower() for w in _words(content)]
    if len(words) < 3:
        return False
    if re.search(r"[.!?…]$", content.strip()):
        return True
    return any(w in res.clause_words for w in words)


def _separable_cue(tokens, i: int, res: Resources) -> bool:
    """A base verb ("teilte") whose particle ("mit") closes the clause."""
    particles = res.separable.get(tokens[i].lower)
    return bool(particles) and any(t.lower in particles for t in tokens[i + 1 : i + 14])


def _cue_after(text: str, span: MarkedSpan, res: Resources) -> DirectCandidate | None:
    if span.close_at is None:
        return None
    pos = span.close_at + 1
    match = _AFTER_CLOSE.match(text, pos)
    comma = bool(match.group(1)) or text[span.start : span.end].rstrip().endswith(",")
    content_end = text[span.start : span.end].rstrip()[-1:]
    if not comma and content_end == ".":
        return None  # the quote closed its own sentence
    after = match.end()
    if after < len(text) and text[after] == "-":
        return None
    clause_end = _CLAUSE_END.search(text, after)
    clause_end_pos = clause_end.start() if clause_end else len(text)
    tokens = tokenize(text, after, clause_end_pos)
    if not tokens:
        return None
    first = tokens[0]
    cand = DirectCandidate(span)

    def window_from(tok_end: int) -> tuple[int, int]:
        end = _WINDOW_END.search(text, tok_end)
        return (tok_end, end.start() if end else len(text))

    if res.impersonal.match(text, first.start):
        cand.cue, cand.cue_kind = (
            text[first.start : tokens[1].end if len(tokens) > 1 else first.end],
            "impersonal",
        )
        return cand
    if first.lower in res.cue_particles and comma and len(tokens) > 1:
        cand.cue, cand.cue_kind = first.text, "after"
        cand.windows = (window_from(first.end),)
        return cand
    clause_like = _clause_like(text[span.start : span.end], res)
    if not comma and not clause_like:
        return None  # "Die „Bild“ berichtet": a name before the verb, not a quote
    if first.text[:1].islower() and (
        res.is_speech_verb(first.text) or _separable_cue(tokens, 0, res)
    ):
        cand.cue, cand.cue_kind = first.text, "after"
        if first.lower in res.separable:
            particle = next(t for t in tokens[1:14] if t.lower in res.separable[first.lower])
            cand.cue = f"{first.text} … {particle.text}"
        cand.windows = (window_from(first.end),)
        cand.prefer_last = first.lower.startswith("zitier")
        return cand
    if not comma or not clause_like:
        return None
    # "„…“, hatte Frauke Mahr … ausgesagt", "“…,” Smith said": the verb later in the clause
    sentence_end = _SENTENCE_END.search(text, after)
    tokens = tokenize(text, after, sentence_end.start() if sentence_end else len(text))
    for tok in tokens[1:25]:
        if text[tok.end : tok.end + 1] == ":" and first.lower in _ARTICLES:
            return None  # "„…“, der Nächste forderte: „…“": a new clause for the next quote
        if res.is_speech_verb(tok.text) and tok.text[:1].islower():
            cand.cue, cand.cue_kind = tok.text, "after"
            cand.windows = ((first.start, tok.start),)
            return cand
    return None


def _clause_before(text: str, open_at: int, after: int = 0) -> tuple[int, int] | None:
    """The clause ending in a colon right before an opening mark ("Jain … erklärt: „")."""
    end = open_at
    while end > 0 and text[end - 1] in " \t":
        end -= 1
    if end == 0 or text[end - 1] != ":":
        return None
    colon = end - 1
    line_start = text.rfind("\n", 0, colon) + 1
    start = line_start
    for m in _SENTENCE_START.finditer(text, line_start, colon):
        start = m.end()
    # nor does it reach back over another quote or a "|" separator ("… | Favre über X: „")
    start = max(start, text.rfind("|", start, colon) + 1, after)
    return start, colon


def _cue_before(
    text: str, span: MarkedSpan, res: Resources, after: int = 0
) -> DirectCandidate | None:
    clause = _clause_before(text, span.open_at, after)
    if clause is None:
        return None
    start, colon = clause
    tokens = tokenize(text, start, colon)
    cand = DirectCandidate(span, cue=":", cue_kind="colon-weak")
    for i, tok in enumerate(tokens):
        if res.is_speech_verb(tok.text) or _separable_cue(tokens, i, res):
            cand.cue, cand.cue_kind = tok.text, "colon"
    last_comma = text.rfind(",", start, colon)
    windows = []
    # the clause after the last comma names the speaker ("…, nimmt ihn Martins in die Pflicht:")
    # unless it is a relative clause about someone else ("sagte Kahn, der … Rummenigge …:")
    tail = tokenize(text, last_comma + 1, colon) if last_comma > start else []
    relative = (
        len(tail) > 1
        and tail[0].lower in ("der", "die", "das", "dem", "den")
        and not tail[1].capitalised
    )
    if last_comma > start and not relative:
        windows.append((last_comma + 1, colon))
    windows.append((start, colon))
    cand.windows = tuple(windows)
    return cand


def _teaser(text: str, span: MarkedSpan, res: Resources) -> str | None:
    line_start = text.rfind("\n", 0, span.open_at) + 1
    before = text[line_start : span.open_at]
    match = res.teaser.search("\n" + before)
    return match.group(0).strip(" :\n") if match else None


def direct_candidates(text: str, spans: list[MarkedSpan]) -> list[DirectCandidate]:
    """The quoted spans that are speech, each with its cue (speakers are resolved later)."""
    res = get_resources()
    first_line_end = text.find("\n")
    out: list[DirectCandidate] = []
    previous_end = 0  # where the last quoted clause closed: a cue clause starts after it
    for span in spans:
        content = text[span.start : span.end]
        n_words = len(_words(content))
        if n_words == 0:
            continue
        if span.close_at is not None and text[span.close_at + 1 : span.close_at + 2] == "-":
            continue  # „Twilight“-Star
        teaser = _teaser(text, span, res)
        if teaser and n_words >= 2:
            out.append(DirectCandidate(span, cue=teaser, cue_kind="teaser"))
            continue
        headline = 0 <= span.open_at < first_line_end
        after = _cue_after(text, span, res)
        before = _cue_before(text, span, res, previous_end)
        one_word_reply = (
            after is not None
            and n_words == 1
            and (content.lower().strip("!?. ") in res.clause_words or content[-1:] in "!?")
            and text[span.close_at + 1 : span.close_at + 2] == ","
        )  # "„Nein“, sagte er.", "„Danke!“, rief sie." — not "„BBC.com“, berichtet …"
        if span.close_at is not None and n_words >= 3:
            previous_end = span.close_at + 1
        clause_like = _clause_like(content, res)
        chosen: DirectCandidate | None = None
        if after is not None and (n_words >= 2 or one_word_reply):
            chosen = after
        elif (
            before is not None
            and before.cue_kind == "colon"
            and n_words >= 2
            or headline
            and before is not None
            and n_words >= 3
        ):
            chosen = before
        elif clause_like or (before is not None and n_words >= 4):
            chosen = before if before is not None else DirectCandidate(span)
        if chosen is None:
            continue
        if headline:
            chosen.headline = True
            clause = _clause_before(text, span.open_at, 0)
            if clause is not None:
                chosen.headline_prefix = clause
        out.append(chosen)
    return out


_ANSWER = re.compile(r"^([A-ZÄÖÜ][\w'’.-]*(?: [A-ZÄÖÜ][\w'’.-]*){0,2}):[ \t]+(\S[^\n]*)", re.M)
_OPENING_MARKS = "„“”\"«»‚‘'"


def interview_answers(text: str, index, taken: list[DirectCandidate]) -> list[DirectCandidate]:
    """Interview turns: a paragraph opening with a known person's name and a colon ("Jain: Wir
    wollen …") is that person's direct speech, quotation marks or not."""
    res = get_resources()
    spans = sorted((c.span.open_at, c.span.end) for c in taken)
    out: list[DirectCandidate] = []
    for m in _ANSWER.finditer(text):
        if m.start() == 0 or m.group(2)[0] in _OPENING_MARKS:
            continue  # the headline, or a quote that the marks already cover
        person = index.person_at(m.start(1), m.end(1))
        if person is None or person.end < m.end(1) - 1 or len(_words(m.group(2))) < 3:
            continue
        start, end = m.start(2), m.end(2)
        while end > start and text[end - 1].isspace():
            end -= 1
        if any(s < end and start < e for s, e in spans) or res.teaser.search("\n" + m.group(1)):
            continue
        span = MarkedSpan(start, end, m.end(1), end - 1, ":")
        out.append(DirectCandidate(span, ":", "interview", ((m.start(1), m.end(1)),)))
    return out
