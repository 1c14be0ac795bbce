"""Knowledge base of companies, organisations, products (AI models) and places.

The data lives in ``pipeline/data/kb/*.yaml`` (format: ``pipeline/data/kb/README.md``) and is
loaded once per process.

Interface (other stages rely on exactly this):

- ``load_kb() -> KnowledgeBase`` (cached).
- ``KnowledgeBase.lookup(name, label=None) -> KBEntry | None``: case-insensitive, tolerant of
  German genitives ("Googles", "Lumas"), legal forms ("Siemens AG"), typographic quotes and
  dashes. ``label`` ("ORG", "PRODUCT", "LOC") picks among entries sharing a name.
- ``KnowledgeBase.get(kb_id) -> KBEntry | None`` and iteration over all entries.
- ``KnowledgeBase.place_for_adjective("chinesischen") -> KBEntry | None`` (demonyms).
- ``KBEntry`` fields: ``id``, ``name`` (canonical), ``label`` (ORG | PRODUCT | LOC),
  ``region`` (broad: "US", "China", "Europe", "Japan", "Saudi Arabia", ...), ``country``
  (English short name: "US", "Germany", "UK", ...), ``sector``, ``aliases``, ``company``
  (for products: the canonical name of the company that makes it), ``products`` (for
  companies: canonical names of their products), plus ``type`` (company | organisation |
  institution | place), ``parent`` (id), ``company_id`` (for products) and ``ambiguous``
  (names that are also ordinary words or person names; the entity ruler only accepts them
  when the context confirms them).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

KB_DIR = Path(__file__).resolve().parent / "data" / "kb"
PLACES_FILE = "places.yaml"
LEGAL_FORMS_FILE = "legal_forms.yaml"
ADJECTIVE_ENDINGS = ("", "e", "en", "em", "er", "es")

# libyaml's C loader when present: the pure-Python loader needs seconds for the KB
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

_QUOTES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "–": "-", "‑": "-", "‐": "-"})
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class KBEntry:
    id: str
    name: str
    label: str  # ORG | PRODUCT | LOC
    region: str | None = None
    country: str | None = None
    sector: str | None = None
    aliases: tuple[str, ...] = ()
    company: str | None = None  # products: canonical name of the maker
    products: tuple[str, ...] = ()  # companies: canonical names of their products
    type: str = "company"  # company | organisation | institution | product | place
    parent: str | None = None
    company_id: str | None = None
    ambiguous: frozenset[str] = frozenset()

    @property
    def names(self) -> tuple[str, ...]:
        """The canonical name followed by all aliases."""
        return (self.name, *self.aliases)

    def is_sure(self, name: str) -> bool:
        """Whether ``name`` (as written) identifies this entry without further context."""
        return name not in self.ambiguous


def normalise(name: str) -> str:
    """The lookup key of a name: unified quotes/dashes/spaces, case-folded."""
    return _SPACES.sub(" ", name.translate(_QUOTES)).strip(" \"'„“”«»‚").casefold()


def declined(name: str) -> str | None:
    """The weak declension of a name led by an adjective: "Deutsche Post" -> "Deutschen Post"
    (der Deutschen Post, bei der Deutschen Bank); None for other names."""
    first, _, rest = name.partition(" ")
    if rest and len(first) > 3 and first[0].isupper() and first.endswith("e"):
        return f"{first}n {rest}"
    return None


def genitive(name: str) -> str | None:
    """The German genitive of a name ("Google" -> "Googles"); None when it takes none
    (ends in s/ß/x/z, or is an abbreviation like "BMW", whose genitive has no "s")."""
    last = name[-1:]
    if not last.isalpha() or last.lower() in "sßxz" or name.isupper():
        return None
    return name + "s"


class KnowledgeBase:
    """All entries with an index from normalised name to entries."""

    def __init__(self, entries: list[KBEntry], legal_forms: list[str], adjectives: dict[str, str]):
        self._entries = {e.id: e for e in entries}
        self.legal_forms = tuple(sorted(legal_forms, key=len, reverse=True))
        self._legal_suffix = re.compile(
            r"(?:,?\s+(?:" + "|".join(re.escape(f.casefold()) for f in self.legal_forms) + r"))+$"
        )
        self._index: dict[str, list[KBEntry]] = {}
        for entry in entries:
            for name in entry.names:
                bucket = self._index.setdefault(normalise(name), [])
                if entry not in bucket:
                    bucket.append(entry)
        # sure entries first, so an unambiguous reading wins a shared name
        for key, bucket in self._index.items():
            bucket.sort(key=lambda e, k=key: any(normalise(a) == k for a in e.ambiguous))
        self._adjectives = adjectives

    def __iter__(self) -> Iterator[KBEntry]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, kb_id: str) -> KBEntry | None:
        return self._entries.get(kb_id)

    def _find(self, key: str, label: str | None) -> KBEntry | None:
        bucket = self._index.get(key)
        if not bucket:
            return None
        if label:
            for entry in bucket:
                if entry.label == label:
                    return entry
        return bucket[0]

    def lookup(self, name: str, label: str | None = None) -> KBEntry | None:
        """The entry called ``name`` (or an inflected/suffixed form of it), else None."""
        key = normalise(name).rstrip("-").strip()
        if not key:
            return None
        candidates = [key]
        without_form = self._legal_suffix.sub("", key)
        if without_form and without_form != key:
            candidates.append(without_form)
        for candidate in list(candidates):
            # weak declension: "Deutschen Post" -> "Deutsche Post"
            first, _, rest = candidate.partition(" ")
            if rest and first.endswith("en") and len(first) > 4:
                candidates.append(f"{first[:-1]} {rest}")
            # genitives: "Apple's", "Mercedes'", "Googles"
            if candidate.endswith("'s"):
                candidates.append(candidate[:-2])
            elif candidate.endswith("'") or (candidate.endswith("s") and len(candidate) > 3):
                candidates.append(candidate[:-1])
        for candidate in candidates:
            entry = self._find(candidate, label)
            if entry is not None:
                return entry
        return None

    def place_for_adjective(self, word: str) -> KBEntry | None:
        """The place a demonym adjective refers to: "chinesischen" -> China."""
        place_id = self._adjectives.get(word.casefold())
        return self._entries.get(place_id) if place_id else None

    def surface_forms(self) -> Iterator[tuple[KBEntry, str, bool]]:
        """(entry, name as written, sure) for every name and its genitive: ruler patterns."""
        for entry in self._entries.values():
            seen: set[str] = set()
            for name in entry.names:
                sure = entry.is_sure(name)
                for form in (name, genitive(name), declined(name)):
                    if form and form not in seen:
                        seen.add(form)
                        yield entry, form, sure


def read_yaml(path: Path):
    """A data file parsed with the fastest available safe YAML loader."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)


def _as_list(value) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value])]


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")


def _load_places(data: dict) -> tuple[list[KBEntry], dict[str, dict], dict[str, str]]:
    countries = {c["code"]: c for c in data["countries"]}
    entries: list[KBEntry] = []
    adjectives: dict[str, str] = {}

    def add_adjectives(place_id: str, stems: list[str]) -> None:
        for stem in stems:
            for ending in ADJECTIVE_ENDINGS:
                adjectives[(stem + ending).casefold()] = place_id

    for code, country in countries.items():
        place_id = f"place.{code.lower()}"
        aliases = _as_list(country.get("aliases")) + [
            c
            for c in _as_list(country.get("compounds"))
            if c not in _as_list(country.get("aliases"))
        ]
        entries.append(
            KBEntry(
                id=place_id,
                name=country["name"],
                label="LOC",
                region=country["region"],
                country=country["country"],
                aliases=tuple(aliases),
                type="place",
                ambiguous=frozenset(_as_list(country.get("ambiguous_names"))),
            )
        )
        add_adjectives(place_id, _as_list(country.get("adjectives")))
    for place in data["places"]:
        country = countries.get(place.get("country", ""))
        place_id = f"place.{place['id']}"
        names = [place["name"], *_as_list(place.get("aliases"))]
        entries.append(
            KBEntry(
                id=place_id,
                name=place["name"],
                label="LOC",
                region=place.get("region") or (country["region"] if country else None),
                country=country["country"] if country else None,
                aliases=tuple(names[1:]),
                type="place",
                ambiguous=frozenset(names if place.get("ambiguous") else ()),
            )
        )
        add_adjectives(place_id, _as_list(place.get("adjectives")))
    return entries, countries, adjectives


def _load_organisations(path: Path, countries: dict[str, dict]) -> list[KBEntry]:
    data = read_yaml(path) or {}
    defaults = data.get("defaults", {})
    entries: list[KBEntry] = []
    for raw in data.get("entries", []):
        item = {**defaults, **raw}
        country = countries.get(item.get("country", ""))
        region = item.get("region") or (country["region"] if country else None)
        aliases = _as_list(item.get("aliases")) + _as_list(item.get("compounds"))
        aliases = list(dict.fromkeys(a for a in aliases if a != item["name"]))
        products = []
        for product in item.get("products", []) or []:
            spec = product if isinstance(product, dict) else {"name": product}
            names = [str(spec["name"]), *_as_list(spec.get("aliases"))]
            products.append(
                KBEntry(
                    id=f"{item['id']}.{_slug(names[0])}",
                    name=names[0],
                    label="PRODUCT",
                    region=region,
                    country=country["country"] if country else None,
                    sector=item.get("sector"),
                    aliases=tuple(names[1:]),
                    company=str(item["name"]),
                    company_id=item["id"],
                    type="product",
                    ambiguous=frozenset(names if spec.get("ambiguous") else ()),
                )
            )
        entries.append(
            KBEntry(
                id=item["id"],
                name=str(item["name"]),
                label="ORG",
                region=region,
                country=country["country"] if country else None,
                sector=item.get("sector"),
                aliases=tuple(aliases),
                products=tuple(p.name for p in products),
                type=item.get("type", "company"),
                parent=item.get("parent"),
                ambiguous=frozenset(_as_list(item.get("ambiguous"))),
            )
        )
        entries.extend(products)
    return entries


@functools.lru_cache(maxsize=1)
def load_kb() -> KnowledgeBase:
    """The knowledge base (loaded once per process)."""
    places_data = read_yaml(KB_DIR / PLACES_FILE)
    entries, countries, adjectives = _load_places(places_data)
    for path in sorted(KB_DIR.glob("*.yaml")):
        if path.name in (PLACES_FILE, LEGAL_FORMS_FILE):
            continue
        entries.extend(_load_organisations(path, countries))
    duplicates = [i for i, n in Counter(e.id for e in entries).items() if n > 1]
    if duplicates:
        raise ValueError(f"duplicate KB ids: {sorted(duplicates)}")
    legal = read_yaml(KB_DIR / LEGAL_FORMS_FILE)
    return KnowledgeBase(entries, _as_list(legal["legal_forms"]), adjectives)
