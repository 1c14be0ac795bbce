"""Indirect (reported) speech, sentence by sentence, from tokens alone (no parser needed).

A sentence is reported speech when
- a cue follows its content: "…, erklärt Jain.", "…, so Kurz.", "…, wie Con Edison mitteilte.",
  "…, hieß es." (impersonal: no speaker), or "Das berichtet X." about the sentence before;
- a cue precedes it: "Kurz erläuterte, … habe …", "Die Bild berichtet, dass …",
  "Wie die Rundschau berichtet, …", "Das Team kündigte an, … zu veröffentlichen";
- it names its source: "laut Jain …", "Medien zufolge …", "nach Angaben der Polizei …";
- "Seiner Meinung nach …" (borderline; counted, attributed to the pronoun's person);
- or it continues reported speech: a Konjunktiv I form ("seien", "habe", "gehöre"), or
  "demnach"; Konjunktiv II forms ("würden", "wäre") only right after another quote.
Continuations take the speaker of the quote before them (see pipeline.quotes.extract_quotes).
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from pipeline.quotes.resources import Resources, get_resources
from pipeline.quotes.speakers import Token, tokenize

_STRIP = " \t\n.,;:–-"


@dataclass
class IndirectCandidate:
    start: int
    end: int
    cue: str
    cue_kind: str  # post | pre | source | opinion | impersonal | continuation | konj2
    windows: tuple[tuple[int, int], ...] = ()
    sentence: int = 0
    before_quote: int | None = None  # index of the direct quote that cut this sentence short


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in _STRIP:
        start += 1
    while end > start and text[end - 1] in _STRIP:
        end -= 1
    return start, end


def _word_count(tokens: list[Token], start: int, end: int) -> int:
    return sum(1 for t in tokens if start <= t.start < end)


def _is_cue_verb(tokens: list[Token], i: int, res: Resources) -> bool:
    tok = tokens[i]
    if tok.text[:1].isupper() or tok.lower in res.cognition_verbs:
        return False
    if res.is_speech_verb(tok.text):
        return True
    particles = res.separable.get(tok.lower)
    return bool(particles) and any(t.lower in particles for t in tokens[i + 1 : i + 12])


def _konjunktiv(tokens: list[Token], res: Resources, *, with_k2: bool) -> Token | None:
    for i, tok in enumerate(tokens):
        if tok.text[:1].isupper() and i > 0:
            continue
        low = tok.lower
        prev = tokens[i - 1].lower if i else ""
        k1 = low in res.konjunktiv1 or (low.endswith(res.konjunktiv1_suffix) and len(low) > 6)
        if k1 and prev not in ("ich", "i"):
            return tok
        if with_k2 and low in res.konjunktiv2:
            return tok
    return None


def _region(text: str, sentence: tuple[int, int], quotes: list[tuple[int, int, int, int]]):
    """(start, end, index of the cutting quote) of the sentence part before any direct quote;
    None when the sentence opens with a quote (its rest is the quote's cue).

    quotes: (open_at, content_start, content_end, close_at) of each direct quote."""
    s, e = sentence
    # quotes are sorted by opening mark and never overlap: those touching [s, e) are a run
    k0 = max(0, bisect.bisect_left(quotes, (s,)) - 1)
    inside = []
    for k in range(k0, len(quotes)):
        if quotes[k][0] >= e:
            break
        if quotes[k][3] >= s:
            inside.append((quotes[k][0], k))
    if not inside:
        return s, e, None
    open_at, k = min(inside)
    prefix = text[s:open_at]
    if open_at > s and len(re.findall(r"\w+", prefix)) >= 4:
        return s, open_at, k
    res = get_resources()
    close_at = quotes[k][3]
    after = text[close_at + 1 : e]
    if (
        open_at > s
        and any(w.lower() in res.konjunktiv1 for w in re.findall(r"\w+", prefix))
        and re.match(r"\s*,", after)
    ):
        # "Es sei „kein Geheimnis, …“, sagte Kahn": reported speech around a partial quote
        return s, close_at + 1, k
    last_close = max(quotes[k][3] for _, k in inside)
    rest = text[last_close + 1 : e]
    # "„…“ – bisher habe aber noch nichts …, kritisierte Ostendorff."
    if open_at <= s and not re.match(r"\s*[,(]", rest) and len(re.findall(r"\w+", rest)) >= 4:
        return last_close + 1, e, None
    return None


def indirect_candidates(
    text: str,
    sentences: list[tuple[int, int]],
    quotes: list[tuple[int, int, int, int]],
) -> list[IndirectCandidate]:
    res = get_resources()
    out: list[IndirectCandidate] = []
    for n, sentence in enumerate(sentences):
        region = _region(text, sentence, quotes)
        if region is None:
            continue
        r_start, r_end = _strip(text, region[0], region[1])
        tokens = tokenize(text, r_start, r_end)
        if len(tokens) < 3:
            continue
        cand = (
            _cue(text, tokens, r_start, r_end, res)
            or _source(text, tokens, r_start, r_end, res)
            or _demonstrative(text, tokens, n, sentences, quotes, res)
            or _continuation(text, tokens, r_start, r_end, res)
        )
        if cand is not None:
            cand.sentence = n
            cand.before_quote = region[2]
            cand.start, cand.end = _strip(text, cand.start, cand.end)
            if cand.end > cand.start:
                out.append(cand)
    return out


def _cue(text, tokens, r_start, r_end, res) -> IndirectCandidate | None:
    """A cue after the content ("…, erklärt Jain.") or before it ("Kurz erläuterte, … habe");
    when both read, the one whose verb comes first wins unless the earlier verb is only part
    of the content ("Bis die KI Geschichten erzählen kann, dauere es …, sagt der Gründer")."""
    impersonal = res.impersonal.match(text, r_start)
    comma = text.find(",", r_start, r_end)
    if impersonal and comma > 0 and len(text[r_start:comma].split()) <= 4:
        # "Es hieß lediglich, dass …": reported, by nobody named
        start = comma + 1
        following = re.match(r"\s*dass\s+", text[start:r_end])
        start += following.end() if following else 0
        return IndirectCandidate(start, r_end, impersonal.group(0), "impersonal")
    pre = _pre_cue(text, tokens, r_start, r_end, res)
    post = _post_cue(text, tokens, r_start, r_end, res)
    if pre is None or post is None:
        return pre or post
    return pre if pre.start >= post.end else post


_SUBJECT_FILLERS = {"sich", "auch", "dazu", "zudem", "weiter", "nun", "jetzt", "damals", "später"}
_SUBJECT_STARTS = {"der", "die", "das", "ein", "eine", "er", "sie", "man", "es"}


def _has_subject(tokens: list[Token], i: int) -> bool:
    """A post-posed cue verb is followed by its subject: "erklärt Jain", "sagte eine 18-Jährige",
    "äußerte sich der 30-Jährige" — not "erklärte aber bereits …"."""
    for tok in tokens[i + 1 : i + 4]:
        if tok.lower in _SUBJECT_FILLERS:
            continue
        return tok.capitalised or tok.lower in _SUBJECT_STARTS
    return False


def _post_cue(text, tokens, r_start, r_end, res) -> IndirectCandidate | None:
    """ "CONTENT, erklärt Jain." / "CONTENT, so Kurz." / "CONTENT, wie X mitteilte.\""""
    for i, tok in enumerate(tokens[1:], start=1):
        gap = text[tokens[i - 1].end : tok.start]
        if "," not in gap:
            continue
        comma = tokens[i - 1].end + gap.index(",")
        if _word_count(tokens, r_start, comma) < 4:
            continue
        if res.impersonal.match(text, tok.start):
            return IndirectCandidate(r_start, comma, text[tok.start : tok.start + 8], "impersonal")
        if tok.lower in res.cue_particles and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if nxt.text[:1].isupper() or nxt.lower in ("der", "die", "ein", "eine"):
                return IndirectCandidate(r_start, comma, tok.text, "post", ((tok.end, r_end),))
            continue
        if _is_cue_verb(tokens, i, res) and _has_subject(tokens, i):
            if any(t.lower in res.negations for t in tokens[i + 1 :]):
                return None  # "…, verrät das Start-up ebenso wenig"
            return IndirectCandidate(r_start, comma, tok.text, "post", ((tok.end, r_end),))
        if tok.lower == "wie":
            rest = tokens[i + 1 :]
            if (
                rest
                and any(_is_cue_verb(rest, k, res) for k in range(len(rest)))
                and (
                    res.is_speech_verb(rest[-1].text) or rest[-1].lower in ("mit", "an", "bekannt")
                )
            ):
                verb = next(t for k, t in enumerate(rest) if _is_cue_verb(rest, k, res))
                return IndirectCandidate(
                    r_start, comma, f"wie … {verb.text}", "post", ((tok.end, verb.start),)
                )
    return None


def _pre_cue(text, tokens, r_start, r_end, res) -> IndirectCandidate | None:
    """ "Kurz erläuterte, … habe …" / "X berichtet, dass …" / "Wie X berichtet, …\""""
    for i, tok in enumerate(tokens[:14]):
        if not _is_cue_verb(tokens, i, res):
            continue
        # the comma that ends the cue clause, within a few words of the verb
        for j in range(i + 1, min(len(tokens), i + 16)):
            gap = text[tokens[j - 1].end : tokens[j].start]
            if "," in gap:
                break
        else:
            continue
        comma = tokens[j - 1].end + gap.index(",")
        content = tokens[j:]
        if not content:
            continue
        starts_wie = tokens[0].lower == "wie"
        first = content[0].lower
        # a verb right after a comma is a post-posed cue ("…, sagte der Komiker, Sänger und …");
        # a verb with an object tells of something else ("erzählte die Geschichte, …")
        after_comma = i > 0 and "," in text[tokens[i - 1].end : tok.start]
        with_object = any(t.lower in ("die", "das", "eine", "einen") for t in tokens[i + 1 : j])
        reported = (
            starts_wie
            or first in res.complementizers
            or (not after_comma and not with_object and _main_clause(content, res))
            or _konjunktiv(content, res, with_k2=True) is not None
            or re.search(r"\bzu \w+en$|\w+zu\w+en$", text[content[-1].start - 3 : r_end].strip())
        )
        if not reported:
            continue
        c_start = content[0].start
        if first == "dass":
            c_start = content[1].start if len(content) > 1 else content[0].end
        clause_start = r_start
        before_verb = text.rfind(",", r_start, tok.start)
        if before_verb > r_start:
            clause_start = before_verb + 1
        windows = ((clause_start, tok.start), (tok.end, comma), (r_start, comma))
        return IndirectCandidate(c_start, r_end, tok.text, "pre", windows)
    return None


_SUBORDINATORS = {
    "als",
    "wenn",
    "weil",
    "nachdem",
    "bevor",
    "während",
    "und",
    "aber",
    "doch",
    "wobei",
    "womit",
    "weshalb",
    "was",
    "wie",
    "wo",
    "da",
    "damit",
    "obwohl",
    "sondern",
    "denn",
    "um",
    "welche",
    "welcher",
    "welches",
    "dessen",
    "deren",
    "sowie",
    "oder",
    "bis",
    "seit",
    "ohne",
}


def _main_clause(content: list[Token], res: Resources) -> bool:
    """ "sagte vor Medien, das Virus breitet sich aus": a main clause right after the cue's
    comma is reported content; a subordinate or relative clause ("…, der …") is not."""
    if len(content) < 4 or content[0].lower in _SUBORDINATORS:
        return False
    first = content[0]
    if first.lower in ("der", "die", "das", "den", "dem"):
        return content[1].capitalised  # article + noun, not a relative pronoun
    if first.lower in res.male_pronouns or first.lower in res.female_pronouns:
        return True
    return first.capitalised and content[1].text[:1].islower()


def _source(text, tokens, r_start, r_end, res) -> IndirectCandidate | None:
    """ "laut Jain", "Medien zufolge", "nach Angaben der Polizei", "Seiner Meinung nach\""""
    match = res.opinion.search(text, r_start, r_end)
    if match:
        return IndirectCandidate(
            r_start, r_end, match.group(0), "opinion", ((match.start(), match.end()),)
        )
    match = res.attribution_before.search(text, r_start, r_end)
    if match:
        end = re.compile(r"[,.;:!?]").search(text, match.end(), r_end)
        w_end = min(end.start() if end else r_end, match.end() + 60)
        return IndirectCandidate(r_start, r_end, match.group(0), "source", ((match.end(), w_end),))
    match = res.attribution_after.search(text, r_start, r_end)
    if match:
        # the source is the noun phrase right before "zufolge": "Medien", "dem Bericht", "Jain"
        before = [t for t in tokens if t.end <= match.start()][-4:]
        for k in range(len(before) - 1, -1, -1):
            if before[k].lower in ("dem", "der", "den", "des"):
                before = before[k:]
                break
        w_start = before[0].start if before else match.start()
        return IndirectCandidate(
            r_start, r_end, match.group(0), "source", ((w_start, match.start()),)
        )
    return None


def _demonstrative(text, tokens, n, sentences, quotes, res) -> IndirectCandidate | None:
    """ "Das berichtet das Finanzportal X." reports the sentence before it."""
    if n == 0 or len(tokens) < 3 or tokens[0].lower not in ("das", "dies"):
        return None
    if not _is_cue_verb(tokens, 1, res):
        return None
    prev = _region(text, sentences[n - 1], quotes)
    if prev is None:
        return None
    start, end = _strip(text, prev[0], prev[1])
    return IndirectCandidate(start, end, tokens[1].text, "post", ((tokens[1].end, tokens[-1].end),))


def _continuation(text, tokens, r_start, r_end, res) -> IndirectCandidate | None:
    for tok in tokens:
        if tok.lower in res.continuation_adverbs:
            return IndirectCandidate(r_start, r_end, tok.text, "continuation")
    # a pronoun subject names the speaker when no quote came just before ("Er habe …")
    subject = tuple((t.start, t.end) for t in tokens[:3] if t.lower in ("er", "sie"))
    k1 = _konjunktiv(tokens, res, with_k2=False)
    if k1 is not None:
        return IndirectCandidate(r_start, r_end, k1.text, "continuation", subject[:1])
    k2 = _konjunktiv(tokens, res, with_k2=True)
    if k2 is not None:
        return IndirectCandidate(r_start, r_end, k2.text, "konj2", subject[:1])
    return None
