"""The quotes stage's word lists (pipeline/data/quotes/*.yaml), loaded and compiled once."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent.parent / "data" / "quotes"

_NO_GE_PREFIXES = ("be", "er", "ver", "ent", "zer", "ge", "emp", "miss")


def _load(name: str) -> dict:
    with (DATA_DIR / name).open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


def _load_lines(name: str) -> list[str]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _weak_forms(stem: str) -> set[str]:
    """Finite forms and participle of a weak verb stem ("sag" -> sagt, sagte, gesagt, ...)."""
    joint = "e" if re.search(r"(?:[td]|[^aeiouäöülr][mn])$", stem) else ""
    forms = {stem + joint + "t", stem + joint + "te", stem + joint + "ten", stem + "en"}
    if stem.endswith(("er", "el")) and not stem.endswith("ier"):
        forms.add(stem + "n")
    if stem.endswith("ier") or stem.startswith(_NO_GE_PREFIXES):
        forms.add(stem + joint + "t")
    else:
        forms.add("ge" + stem + joint + "t")
    return forms


@dataclass(frozen=True)
class Resources:
    speech_verbs: frozenset[str]  # forms that are a cue on their own ("sagt", "erklärte")
    separable: dict[str, frozenset[str]]  # finite form -> particles that complete it
    cue_particles: frozenset[str]  # "so"
    english_verbs: frozenset[str]
    cognition_verbs: frozenset[str]
    role_nouns: tuple[str, ...]  # lower-case, incl. feminine forms
    nationalities: frozenset[str]
    age_role: re.Pattern
    not_names: frozenset[str]
    name_particles: frozenset[str]
    noun_phrase_continuations: frozenset[str]
    male_pronouns: frozenset[str]
    female_pronouns: frozenset[str]
    possessive_pronouns: frozenset[str]
    teaser: re.Pattern
    attribution_before: re.Pattern
    attribution_after: re.Pattern
    continuation_adverbs: frozenset[str]
    opinion: re.Pattern
    impersonal: re.Pattern
    complementizers: frozenset[str]
    clause_words: frozenset[str]
    negations: frozenset[str]
    unnamed_heads: frozenset[str]
    first_names: dict[str, str]  # given name -> f | m | ?
    konjunktiv1: frozenset[str]
    konjunktiv2: frozenset[str]
    konjunktiv1_suffix: str

    def is_speech_verb(self, word: str) -> bool:
        low = word.lower()
        return low in self.speech_verbs or low in self.english_verbs

    def is_role_noun(self, word: str) -> bool:
        """A role noun proper ("Gouverneur", "Luma-Gründer"), not a nationality or age."""
        low = word.lower().strip(".,;:")
        return bool(low) and low.endswith(self.role_nouns)

    def gender_of(self, name: str | None) -> str | None:
        """f or m from a person's first name, None when unknown."""
        if not name:
            return None
        gender = self.first_names.get(name.split()[0])
        return gender if gender in ("f", "m") else None

    def is_role(self, word: str) -> bool:
        """A role noun, a compound ending in one ("Luma-Gründer"), a nationality or "35-Jährige"."""
        low = word.lower().strip(".,;:")
        if not low:
            return False
        if self.age_role.fullmatch(low) or low in self.nationalities:
            return True
        last = low.rsplit("-", 1)[-1]
        if last in self.nationalities:
            return True
        return low.endswith(self.role_nouns)


def _regex_alternation(phrases: list[str]) -> str:
    return "|".join(
        re.escape(p).replace(r"\ ", r"\s+") for p in sorted(phrases, key=len, reverse=True)
    )


@functools.lru_cache(maxsize=1)
def get_resources() -> Resources:
    verbs = _load("speech_verbs.yaml")
    roles = _load("roles.yaml")
    markers = _load("markers.yaml")
    konj = _load("konjunktiv.yaml")

    german = verbs["german"]
    not_alone = set(german["not_alone"])
    speech: set[str] = set()
    for stem in german["weak"]:
        if stem not in not_alone:
            speech |= _weak_forms(stem)
    for forms in german["strong"]:
        speech |= set(forms)
    separable_forms = set()
    separable: dict[str, set[str]] = {}
    for particle, forms in german["separable"].items():
        for form in forms:
            separable.setdefault(form, set()).add(particle)
            separable_forms.add(form)
    # A base form that needs its particle is no cue on its own ("gibt", "teilte", "führt").
    speech -= {f for f in separable_forms if f not in {"schreibt"}}

    role_nouns = set()
    for noun in roles["role_nouns"]:
        role_nouns.add(noun)
        if not noun.endswith("in"):
            role_nouns.add(noun + "in")
            role_nouns.add(noun + "innen")
    nationalities = set(roles["nationalities"])
    for noun in list(nationalities):
        stem = noun[:-1] if noun.endswith("e") else noun
        nationalities |= {stem + "in", noun + "n"}

    k1 = set(konj["konjunktiv1"]) | {stem + "e" for stem in konj["stems"]}
    return Resources(
        speech_verbs=frozenset(speech),
        separable={k: frozenset(v) for k, v in separable.items()},
        cue_particles=frozenset(german["particles"]),
        english_verbs=frozenset(verbs["english"]),
        cognition_verbs=frozenset(german["cognition"]),
        role_nouns=tuple(sorted(role_nouns, key=len, reverse=True)),
        nationalities=frozenset(nationalities),
        age_role=re.compile(roles["age_pattern"], re.IGNORECASE),
        not_names=frozenset(roles["not_names"]),
        name_particles=frozenset(roles["name_particles"]),
        noun_phrase_continuations=frozenset(roles["noun_phrase_continuations"]),
        male_pronouns=frozenset(roles["pronouns"]["male"]),
        female_pronouns=frozenset(roles["pronouns"]["female"]),
        possessive_pronouns=frozenset(roles["pronouns"]["possessive"]),
        teaser=re.compile(
            r"(?:^|\n)\s*(?:" + _regex_alternation(markers["teasers"]) + r")\s*:?\s*$",
            re.IGNORECASE,
        ),
        attribution_before=re.compile(
            r"\b(?:" + _regex_alternation(markers["attribution"]["before"]) + r")\b", re.IGNORECASE
        ),
        attribution_after=re.compile(
            r"\b(?:" + _regex_alternation(markers["attribution"]["after"]) + r")\b", re.IGNORECASE
        ),
        continuation_adverbs=frozenset(markers["attribution"]["continuation"]),
        opinion=re.compile(
            r"\b(?:" + "|".join(markers["attribution"]["opinion"]) + r")\b", re.IGNORECASE
        ),
        impersonal=re.compile(
            r"\b(?:" + _regex_alternation(markers["attribution"]["impersonal"]) + r")\b",
            re.IGNORECASE,
        ),
        complementizers=frozenset(markers["complementizers"]),
        clause_words=frozenset(markers["clause_words"]),
        negations=frozenset(markers["negations"]),
        unnamed_heads=frozenset(markers["unnamed_heads"]),
        first_names=dict(line.split() for line in _load_lines("first_names.txt")),
        konjunktiv1=frozenset(k1),
        konjunktiv2=frozenset(konj["konjunktiv2"]),
        konjunktiv1_suffix=konj["konjunktiv1_suffix"],
    )
