"""Who is speaking: person mentions, cue windows, role nouns and pronouns.

Person mentions come from the entities stage (PER, and ORG/MISC/PRODUCT for organisation
speakers). Because the statistical NER may be missing (blank model) or miss names, a
capitalised-name heuristic adds the names that German news syntax marks as people anyway:

- the name right after a speech verb ("sagt Jain", "so Reus", "betont Luma-Gründer Jain"),
  and a sentence-initial name right before one ("Kovac sagte, …");
- the name right after a role noun ("Gouverneur Rick Scott", "Polizeisprecher Marcus da Gloria
  Martins");
- a known given name and the word after it ("Lena Meyer-Landrut", data/quotes/first_names.txt,
  which also gives the gender that "sie"/"die Gründerin" must agree with);
- a name followed by an age in brackets ("Felix Neureuther (33)");
- a headline that opens with a name ("Danny Boyle: …", "Wigald Boning hat …").

Each name is clustered by its last word (and a known given name by its first): a short
mention ("Jain") takes the canonical name of the nearest full form before it ("Amit Jain",
found anywhere in the text), or the NER cluster that ends with the same word.
"""

from __future__ import annotations

import bisect
import functools
import re
from dataclasses import dataclass, field

from pipeline.quotes.resources import Resources, get_resources

TOKEN = re.compile(r"\w+(?:[-'’.]\w+)*-?", re.UNICODE)
_TITLE_WORDS = {"dr", "prof", "dr.", "prof."}


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int

    @property
    def lower(self) -> str:
        return self.text.lower()

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Token]:
    end = len(text) if end is None else end
    return [Token(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text, start, end)]


@dataclass(frozen=True)
class Mention:
    """A mention that names a speaker: a name, a role noun phrase or a pronoun."""

    start: int
    end: int
    name: str | None  # canonical name, None when unresolved (or an unnamed "ein Sprecher")
    kind: str  # name | org | role | pronoun | unnamed


@dataclass
class PersonIndex:
    """Every named person (and organisation) mention of one text, sorted by position."""

    text: str
    sentences: list[tuple[int, int]]
    persons: list[Mention] = field(default_factory=list)
    orgs: list[Mention] = field(default_factory=list)
    quoted_spans: list[tuple[int, int]] = field(default_factory=list)  # direct quote contents
    _starts: list[int] = field(default_factory=list)

    def finish(self) -> None:
        self.persons.sort(key=lambda m: m.start)
        self.orgs.sort(key=lambda m: m.start)
        self._starts = [m.start for m in self.persons]
        self._org_starts = [m.start for m in self.orgs]
        self._sentence_starts = [s for s, _ in self.sentences]
        self.quoted_spans.sort()
        self._quote_starts = [s for s, _ in self.quoted_spans]

    def sentence_of(self, pos: int) -> int:
        return max(0, bisect.bisect_right(self._sentence_starts, pos) - 1)

    def inside_quote(self, pos: int) -> bool:
        """Whether pos lies in a direct quote's content (spans sorted, never overlapping)."""
        i = bisect.bisect_right(self._quote_starts, pos) - 1
        return i >= 0 and pos < self.quoted_spans[i][1]

    def person_at(self, start: int, end: int) -> Mention | None:
        """The first person mention starting in [start, end)."""
        i = bisect.bisect_left(self._starts, start)
        if i < len(self.persons) and self.persons[i].start < end:
            return self.persons[i]
        return None

    def org_at(self, start: int, end: int) -> Mention | None:
        i = bisect.bisect_left(self._org_starts, start)
        if i < len(self.orgs) and self.orgs[i].start < end:
            return self.orgs[i]
        return None

    def recent_person(
        self, pos: int, *, max_sentences: int = 6, gender: str | None = None
    ) -> Mention | None:
        """The most recent person before pos, outside quotes: the first person of the nearest
        sentence (before pos) that mentions one — its subject more often than not. With a
        gender, people whose first name says otherwise are passed over."""
        res = get_resources()
        i = bisect.bisect_left(self._starts, pos) - 1
        here = self.sentence_of(pos)

        def fits(m: Mention) -> bool:
            if self.inside_quote(m.start):
                return False
            return gender is None or res.gender_of(m.name) in (None, gender)

        while i >= 0:
            m = self.persons[i]
            sentence = self.sentence_of(m.start)
            if here - sentence > max_sentences:
                return None
            if fits(m):
                s_start = self.sentences[sentence][0]
                j = i
                while j > 0 and self.persons[j - 1].start >= s_start:
                    if fits(self.persons[j - 1]):
                        i = j - 1
                    j -= 1
                return self.persons[i] if fits(self.persons[i]) else m
            i -= 1
        return None


def _name_run(tokens: list[Token], i: int, res: Resources, *, allow_roles: bool) -> tuple[int, int]:
    """Indices [i, j) of a capitalised name starting at token i (leading roles skipped)."""
    n = len(tokens)
    if allow_roles:
        while (
            i < n
            and tokens[i].capitalised
            and (res.is_role(tokens[i].text) or tokens[i].lower in _TITLE_WORDS)
        ):
            i += 1
    j = i
    while j < n:
        tok = tokens[j]
        if j > i and re.fullmatch(r"(?:al|el|ad|as|ash|abu|ben|bin|ibn)-[A-ZÄÖÜ]\w*", tok.text):
            j += 1  # "Fatma al-Sharawi"
            continue
        if not tok.capitalised:
            if tok.lower == "von" and j - i > 1:
                break  # "Khadija Khattab von Ägyptens Channel 2": "von" after a full name is "from"
            # particles inside a name: "Bill de Blasio", "Nathalie Boy de la Tour"
            k = j
            while k < n and tokens[k].lower in res.name_particles and not tokens[k].capitalised:
                k += 1
            if j > i and k > j and k < n and tokens[k].capitalised and k - j <= 2:
                j = k
                continue
            break
        if (
            tok.lower in res.not_names
            or res.is_speech_verb(tok.text)
            or res.is_role(tok.text)
            or tok.text.endswith("-")
        ):
            break
        j += 1
    return i, j


def _split_gap(text: str, a: Token, b: Token) -> bool:
    """Whether only spaces separate two tokens (a name never spans punctuation)."""
    return text[a.end : b.start].strip() == ""


def _names_in(text: str, tokens: list[Token], res: Resources) -> list[tuple[int, int]]:
    """Character spans of heuristic names (see module doc)."""
    found: list[tuple[int, int]] = []

    def run_from(i: int, allow_roles: bool) -> None:
        a, b = _name_run(tokens, i, res, allow_roles=allow_roles)
        # cut the run at punctuation between its tokens
        k = a + 1
        while k < b and _split_gap(text, tokens[k - 1], tokens[k]):
            k += 1
        b = min(b, k)
        if b > a and tokens[a].capitalised and tokens[a].lower not in res.not_names:
            found.append((tokens[a].start, tokens[b - 1].end))

    for i, tok in enumerate(tokens):
        low = tok.lower
        if res.is_speech_verb(tok.text) or low in res.separable:
            if i + 1 < len(tokens) and _split_gap(text, tok, tokens[i + 1]):
                nxt = tokens[i + 1]
                if nxt.capitalised and nxt.lower not in res.not_names:
                    run_from(i + 1, True)
            # "Kovac sagte" / "Trump antwortet": a sentence-initial name before the verb
            participle = low.startswith("ge") or low.endswith("en")
            if (
                i >= 1
                and not participle
                and tokens[i - 1].capitalised
                and _split_gap(text, tokens[i - 1], tok)
            ):
                prev = tokens[i - 1]
                before = text[max(0, prev.start - 3) : prev.start]
                sentence_initial = prev.start == 0 or re.search(r"[.!?:\n]\s*$", before)
                if (
                    sentence_initial
                    and prev.lower not in res.not_names
                    and not res.is_role(prev.text)
                ):
                    found.append((prev.start, prev.end))
        elif (
            low == "so" and i > 0 and text[tokens[i - 1].end : tok.start].strip() in {",", "–", "-"}
        ):
            if i + 1 < len(tokens) and tokens[i + 1].capitalised:
                run_from(i + 1, True)
        elif tok.capitalised and res.is_role_noun(tok.text) and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            # "Gouverneur Rick Scott", "und FCB-Boss Karl-Heinz Rummenigge" — but not
            # "nennen Forscher World Models": left of the role only punctuation or function words
            prev = tokens[i - 1] if i else None
            indefinite = prev is not None and prev.lower in (
                "ein",
                "eine",
                "einer",
                "einem",
                "einen",
            )
            left_ok = not indefinite and (
                prev is None
                or not _split_gap(text, prev, tok)
                or prev.capitalised
                or prev.lower in res.not_names
                or res.is_speech_verb(prev.text)
                or (i >= 2 and tokens[i - 2].lower in ("der", "die", "das", "dem", "den", "des"))
            )
            if (
                left_ok
                and nxt.capitalised
                and _split_gap(text, tok, nxt)
                and not res.is_role(nxt.text)
            ):
                run_from(i + 1, True)
        if tok.text in res.first_names and i + 1 < len(tokens):
            nxt = tokens[i + 1]
            if nxt.capitalised and _split_gap(text, tok, nxt) and not res.is_role(nxt.text):
                # "Lena Meyer-Landrut": a known first name and one more word (or particles + word)
                a, b = _name_run(tokens, i, res, allow_roles=False)
                b = min(
                    b, i + 2 + sum(1 for t in tokens[i + 1 : b] if t.lower in res.name_particles)
                )
                if b > i + 1 and all(
                    _split_gap(text, tokens[k - 1], tokens[k]) for k in range(i + 1, b)
                ):
                    found.append((tok.start, tokens[b - 1].end))
    # "Felix Neureuther (33)": a capitalised name followed by an age in brackets
    for m in re.finditer(r"((?:[A-ZÄÖÜ][\w'’-]+ ){0,2}[A-ZÄÖÜ][\w'’-]+) \(\d{1,3}\)", text):
        words = m.group(1).split()
        while words and (
            words[0].lower() in res.not_names
            or res.is_role(words[0])
            or (
                len(words) > 1
                and words[0] not in res.first_names
                and any(w in res.first_names for w in words[1:])
            )
            or (len(words) > 1 and "-" in words[0])
        ):
            words.pop(0)
        if words and not any(res.is_role(w) for w in words):
            found.append((m.end(1) - len(" ".join(words)), m.end(1)))
    # A headline opening with a name that recurs in the body ("Wigald Boning hat …")
    first_line = text.split("\n", 1)[0]
    opening = re.match(r"([A-ZÄÖÜ][\w'’-]+ [A-ZÄÖÜ][\w'’-]+) (\w+)", first_line)
    if opening and (
        opening.group(2).lower() in res.noun_phrase_continuations or opening.group(2)[:1].isupper()
    ):
        opening = None  # "Massiver Stromausfall in New York": a noun phrase, not "Name verb"
    if (
        opening
        and "\n" in text
        and len(re.findall(r"\b" + re.escape(opening.group(1).split()[-1]) + r"\b", text)) > 1
    ):
        words = opening.group(1).split()
        if not any(res.is_role(w) or w.lower() in res.not_names for w in words):
            found.append((0, opening.end(1)))
    # A headline "Danny Boyle: …"
    first_line = text.split("\n", 1)[0]
    head = re.match(r"([A-ZÄÖÜ][\w'’]+(?: (?:[a-z]{1,3} )?[A-ZÄÖÜ][\w'’]+){1,2}):", first_line)
    if head and "\n" in text:
        words = head.group(1).split()
        if not any(res.is_role(w) or w.lower() in res.not_names for w in words):
            found.append((0, head.end(1)))
    return found


def build_index(doc, entities, canonical, text: str, sentences) -> PersonIndex:
    """Person and organisation mentions from the entities stage plus the name heuristic."""
    res = get_resources()
    index = PersonIndex(text=text, sentences=sentences)
    per_names: dict[str, set[str]] = {}  # last word -> entities-stage canonical names
    ner_spans: list[tuple[int, int]] = []
    for ent in entities or []:
        if ent.label == "PER":
            span = _clean_person_span(text, ent.start, ent.end, res)
            if span is not None:
                ner_spans.append(span)
            name = ent.canonical or ent.text
            if _looks_like_name(name, res):
                per_names.setdefault(name.split()[-1].lower(), set()).add(name)
        elif ent.label in ("ORG", "MISC", "PRODUCT"):
            index.orgs.append(Mention(ent.start, ent.end, ent.canonical or ent.text, "org"))
    for cluster in canonical or []:
        if cluster.label == "PER" and _looks_like_name(cluster.name, res):
            per_names.setdefault(cluster.name.split()[-1].lower(), set()).add(cluster.name)

    # NER people and heuristic names are clustered together; the entities stage's canonical
    # name wins where it is a clean name at least as full as the heuristic one
    trusted = _names_in(text, tokenize(text), res) + ner_spans
    for mention in _heuristic_mentions(text, trusted, res):
        words = mention.name.split()
        options = per_names.get(words[-1].lower(), set())
        preferred = next(iter(options)) if len(options) == 1 else None  # one person, no doubt
        if preferred and len(preferred.split()) >= len(words):
            mention = Mention(mention.start, mention.end, preferred, mention.kind)
        index.persons.append(mention)
    index.finish()
    return index


def _looks_like_name(name: str, res: Resources) -> bool:
    """A clean person name: capitalised words, no role noun or article in front."""
    words = name.split()
    return (
        bool(words)
        and all(w[:1].isupper() or w.lower() in res.name_particles for w in words)
        and not any(res.is_role(w) or w.lower() in res.not_names for w in words[:1])
    )


_NOT_NAME_ENDINGS = ("ig", "lich", "isch", "bar", "sam", "haft", "weise", "ung", "heit", "keit")


def _clean_person_span(text: str, start: int, end: int, res: Resources) -> tuple[int, int] | None:
    """An NER person span without leading roles, articles or compounds ("Ski-Rennläufer Felix
    Neureuther" -> "Felix Neureuther") and without a genitive s ("Danny Boyles")."""
    tokens = tokenize(text, start, end)
    while tokens and (
        res.is_role(tokens[0].text)
        or tokens[0].lower in res.not_names
        or not tokens[0].capitalised
        or (len(tokens) > 1 and "-" in tokens[0].text and tokens[0].text not in res.first_names)
    ):
        tokens.pop(0)
    if not tokens:
        return None
    if len(tokens) == 1 and (
        re.search(r"\b" + re.escape(tokens[0].lower) + r"\b", text)
        or tokens[0].lower.endswith(_NOT_NAME_ENDINGS)
    ):
        return None  # "Ruhig und souverän …": an adverb the NER took for a name
    s, e = tokens[0].start, tokens[-1].end
    last = tokens[-1].text
    if last.endswith("s") and re.search(r"\b" + re.escape(last[:-1]) + r"\b", text):
        e -= 1
    return s, e


def _plausible_first_name(word: str, res: Resources) -> bool:
    """A known given name that can stand before a surname ("Amit", "Karl-Heinz")."""
    return word in res.first_names


def _heuristic_mentions(text, trusted, res: Resources) -> list[Mention]:
    """Mentions of the heuristic names: every capitalised occurrence of a trusted name's last
    word ("Jain"), extended by one plausible first name before it ("Amit Jain")."""
    forms: list[tuple[int, int, str]] = []  # (start, end, surface form)
    for s, e in trusted:
        forms.append((s, e, " ".join(text[s:e].split())))
    keys = {text[s:e].split()[-1] for s, e in trusted}
    # a known first name alone ("Lukas") refers to the full name too
    given = {text[s:e].split()[0] for s, e in trusted if text[s:e].split()[0] in res.first_names}
    for key in keys | given:
        for m in re.finditer(r"(?<![\w-])" + re.escape(key) + r"(?![\w-])", text):
            start, end = m.start(), m.end()
            prev = re.search(r"([A-ZÄÖÜ][\w'’-]*) $", text[max(0, start - 30) : start])
            if key not in given and prev and _plausible_first_name(prev.group(1), res):
                start -= len(prev.group(0))
            forms.append((start, end, " ".join(text[start:end].split())))
    # one mention per position: the longest form that covers it
    forms.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    mentions: list[tuple[int, int, str]] = []
    for form in forms:
        if mentions and form[0] < mentions[-1][1]:
            continue
        mentions.append(form)
    surfaces = {f for _, _, f in mentions}
    # genitive "Danny Boyles" is "Danny Boyle"
    mentions = [
        (s, e, f[:-1] if f.endswith("s") and f[:-1] in surfaces else f) for s, e, f in mentions
    ]
    multi = [(s, f) for s, _, f in mentions if len(f.split()) > 1]
    multi_forms = {f for _, f in multi}
    by_word: dict[str, list[tuple[int, str]]] = {}  # word -> (start, full form) in text order
    for s, f in multi:
        for word in set(f.split()):
            by_word.setdefault(word, []).append((s, f))

    @functools.cache
    def longest(form: str) -> str:
        """The canonical full form: of the forms ending like this one, the one the text uses
        most ("Shannen Doherty" over a headline's "Krebskranke Shannen Doherty"), then the
        longest ("Marcus da Gloria Martins" over "Gloria Martins")."""
        options = {f for f in multi_forms if f == form or f.endswith(" " + form)}
        if not options:
            return form
        return max(options, key=lambda f: (text.count(f), len(f)))

    out = []
    for start, end, form in mentions:
        words = form.split()
        name = None
        if len(words) > 1:
            name = longest(form)
        if name is None:
            # the nearest full form before this mention, else the first after it
            forms_with = by_word.get(form, [])
            k = bisect.bisect_left(forms_with, (start, ""))
            if k > 0:
                name = longest(forms_with[k - 1][1])
            elif forms_with:
                name = longest(forms_with[0][1])
            else:
                name = form
        out.append(Mention(start, end, name, "name"))
    return out


def _inflection_key(name: str) -> str:
    """ "Kölnischen Rundschau" and "Kölnische Rundschau" share a key."""
    return " ".join(w[:-1] if w.endswith("en") else w for w in name.lower().split())


def _first_form(text: str, name: str, marked) -> str:
    """The first quoted form of a name in the text: "Kölnischen" becomes "Kölnische"."""
    key = _inflection_key(name)
    for span in marked:
        other = text[span.start : span.end].strip()
        if len(other.split()) == len(name.split()) and _inflection_key(other) == key:
            return other
    return name


def quoted_name_at(text: str, start: int, end: int, marked) -> Mention | None:
    """A quoted name in [start, end): media are quoted in German news ("berichtet „Bild“")."""
    for span in marked:
        if start <= span.open_at < end and span.end - span.start <= 40:
            name = text[span.start : span.end].strip()
            if name and len(name.split()) <= 4:
                return Mention(span.start, span.end, _first_form(text, name, marked), "org")
    return None


def resolve_mention(
    index: PersonIndex,
    start: int,
    end: int,
    *,
    marked=(),
    last_speaker: Mention | None = None,
    prefer_last: bool = False,
    allow_orgs: bool = True,
    subject_first: bool = False,
) -> Mention | None:
    """The speaker named in a cue window text[start:end] ("Jain", "der Gründer", "er", …).

    Scans left to right; the first name, role noun phrase or pronoun decides. An indefinite
    or bare plural role ("ein Sprecher", "eine Userin", "AFP-Reporter") is an unnamed speaker
    (name None). With allow_orgs, organisations and the name heuristics count too.
    """
    res = get_resources()
    text = index.text
    tokens = [t for t in tokenize(text, start, end) if not index.inside_quote(t.start)]
    # "Kenyatta Lewis: „…“": a window that is nothing but a name
    bare = re.fullmatch(
        r"\s*([A-ZÄÖÜ][\w'’-]+(?: (?:[a-z]{1,3} )?[A-ZÄÖÜ][\w'’-]+){1,3})\s*", text[start:end]
    )
    if (
        bare
        and text[end : end + 1] == ":"
        and not any(res.is_role(w) or w.lower() in res.not_names for w in bare.group(1).split())
    ):
        a, b = start + bare.start(1), start + bare.end(1)
        return index.person_at(a, b) or Mention(a, b, bare.group(1), "name")
    # "„…“, so der Südtiroler": the subject of a cue verb is a person even when the noun is
    # missing from the role list
    if subject_first and len(tokens) >= 2 and tokens[0].lower in ("der", "die"):
        head = tokens[1]
        person_noun = head.lower.endswith(("er", "erin")) and head.lower not in res.unnamed_heads
        if (
            person_noun
            and head.capitalised
            and index.person_at(head.start, head.end) is None
            and not res.is_role(head.text)
        ):
            gender = "m" if tokens[0].lower == "der" else "f"
            target = index.recent_person(head.start, gender=gender)
            if target is None and _compatible(last_speaker, gender, res):
                target = last_speaker
            if target is not None:
                return Mention(tokens[0].start, head.end, target.name, "role")
    # "Favre über Balotelli: „…“": the name before "über" is the speaker
    about = re.match(r"\s*([A-ZÄÖÜ][\w'’-]+(?: [A-ZÄÖÜ][\w'’-]+)?) über\b", text[start:end])
    if about and about.group(1).split()[0].lower() not in res.not_names:
        a, b = start + about.start(1), start + about.end(1)
        known = index.person_at(a, b)
        return known or Mention(a, b, about.group(1), "name")
    for i, tok in enumerate(tokens):
        low = tok.lower
        person = index.person_at(tok.start, tok.end)
        if person is not None and person.start >= start:
            if prefer_last:
                later = [index.person_at(t.start, t.end) for t in tokens[i + 1 :] if t.capitalised]
                later = [p for p in later if p is not None]
                if later:
                    return later[-1]
            return person
        if low in ("ein", "eine", "einer", "jemand", "man", "a", "an", "someone"):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if low in ("jemand", "man", "someone") or (
                nxt is not None and (res.is_role(nxt.text) or nxt.lower in ("anderer", "andere"))
            ):
                return Mention(tok.start, (nxt or tok).end, None, "unnamed")
            continue
        if res.is_role(tok.text) and (tok.capitalised or res.age_role.fullmatch(low)):
            nxt = tokens[i + 1] if i + 1 < len(tokens) else None
            if nxt is not None and _split_gap(text, tok, nxt):
                named = index.person_at(nxt.start, nxt.end)
                if named is not None:
                    return named  # "CEO Jain", "Luma-Gründer Jain"
                if nxt.capitalised and not res.is_role(nxt.text) and nxt.lower not in res.not_names:
                    # "die spanische Touristin Alba Moreno": a name in apposition to the role
                    a, b = _name_run(tokens, i + 1, res, allow_roles=False)
                    k = a + 1
                    while k < b and _split_gap(text, tokens[k - 1], tokens[k]):
                        k += 1
                    if k > a:
                        run = " ".join(t.text for t in tokens[a:k])
                        return Mention(tokens[a].start, tokens[k - 1].end, run, "name")
            if nxt is not None and res.is_role(nxt.text) and _split_gap(text, tok, nxt):
                continue  # "der 17-jährige Hannoveraner": the last role noun is the head
            determiner = _determiner_before(tokens, i)
            if determiner is None:
                return Mention(tok.start, tok.end, None, "unnamed")  # "AFP-Reporter berichteten"
            gender = _role_gender(tok.text, determiner, res)
            target = index.recent_person(tok.start, gender=gender)
            if target is None and _compatible(last_speaker, gender, res):
                target = last_speaker
            if target is None:
                continue
            d_start = determiner.start
            return Mention(d_start, tok.end, target.name, "role")
        if low in res.male_pronouns or low in res.female_pronouns or low in res.possessive_pronouns:
            gender = "f" if low in res.female_pronouns or low.startswith("ihr") else "m"
            target = index.recent_person(tok.start, gender=gender)
            if target is None and _compatible(last_speaker, gender, res):
                target = last_speaker
            return Mention(tok.start, tok.end, target.name if target else None, "pronoun")
        if allow_orgs:
            org = index.org_at(tok.start, tok.end)
            if org is not None:
                return org
    if not allow_orgs:
        return None
    quoted = quoted_name_at(text, start, end, marked)
    if quoted is not None:
        return quoted
    if not tokens:
        return None
    # "wie der Energieversorger Con Edison mitteilte": article, noun, then a name
    if tokens[0].lower in ("der", "die", "das", "dem", "den", "des"):
        j = 1
        while j < len(tokens) and not tokens[j].capitalised and j <= 3:
            j += 1
        if j + 1 < len(tokens) and _split_gap(text, tokens[j], tokens[j + 1]):
            a, b = _name_run(tokens, j + 1, res, allow_roles=False)
            if b > a and not res.is_role(tokens[j].text):
                name = " ".join(t.text for t in tokens[a:b])
                return Mention(tokens[a].start, tokens[b - 1].end, name, "org")
        return None
    # capitalised-name heuristic: a sentence-initial capitalised word that is no article,
    # pronoun or role ("Netblocks, eine Nichtregierungsorganisation, …, teilte mit")
    first = tokens[0]
    sentence_initial = first.start == 0 or re.search(
        r"[.!?\n|]\s*$", text[max(0, first.start - 3) : first.start]
    )
    follows = text[first.end : first.end + 8]
    apposition = re.match(r",\s*(?:eine?|der|die|das)\b|:", follows)
    verb_next = (
        len(tokens) > 1
        and res.is_speech_verb(tokens[1].text)
        and not tokens[1].lower.startswith("ge")  # "Kurz gesagt:" is no "Kurz sagte"
    )
    if (
        sentence_initial
        and (apposition or verb_next)
        and first.capitalised
        and first.lower not in res.not_names
        and not res.is_role(first.text)
        and not res.is_speech_verb(first.text)
    ):
        return Mention(first.start, first.end, first.text, "name")
    return None


def _compatible(mention: Mention | None, gender: str | None, res: Resources) -> bool:
    if mention is None or not mention.name or mention.kind == "org":
        return False
    return gender is None or res.gender_of(mention.name) in (None, gender)


_DETERMINERS = {"der", "die", "das", "dem", "den", "des", "dieser", "diese", "unser", "ihr", "sein"}


def _determiner_before(tokens: list[Token], i: int) -> Token | None:
    """The article of a role noun ("der Gründer", "der 17-jährige Hannoveraner"), if any."""
    for k in range(i - 1, max(-1, i - 4), -1):
        if tokens[k].lower in _DETERMINERS:
            return tokens[k]
        if tokens[k].capitalised and not re.match(r"\d", tokens[k].text):
            return None
    return None


def _role_gender(word: str, determiner: Token, res: Resources) -> str | None:
    low = word.lower()
    if low.endswith(("in", "innen")) and res.is_role_noun(low[:-2] if low.endswith("in") else low):
        return "f"
    if determiner.lower == "der":
        return "m"
    if determiner.lower == "die" and not low.endswith("n"):
        return "f"
    return None
