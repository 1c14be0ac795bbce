"""Companies stage: one ``Company`` per canonical organisation, with its role relative to the
article's subject, its products, region, mentions and money figures.

Entry point: ``extract_companies(doc, entities, canonical, quotes, title="") -> list[Company]``.

How a role is decided (cues live in ``pipeline/data/companies/roles.yaml``):

1. The *subject* is the company the article is about: most mentions, named in the headline,
   its founder/CEO speaks ("Luma-Gründer Jain").
2. Every other mention collects the role cues of its sentence: "Konkurrent Synthesia",
   "Investoren wie Nvidia", "Konzerne wie Coca-Cola ... zahlen Lizenzgebühren",
   "Microsoft investiert ... in OpenAI"; each cue has a scope (after/before/sentence/agent),
   a window and a weight. A mention keeps its best cue; a company takes the role with the
   largest summed weight (ties: investor > customer > partner > competitor); no cue means
   "mentioned". Media, unions and public bodies always stay "mentioned".

Regions come from the knowledge base (``pipeline.kb``) first, then from the text ("die
japanische Werbeagentur Dentsu", "sitzt in London"). Products are linked by the KB
(product -> company) or by the text ("Googles Modell Veo", "Sora von OpenAI"). Figures are
MONEY mentions (plus a fallback pattern) normalised by ``pipeline.money.parse_money`` and
typed by the nearest cue (valuation, funding, revenue), plus head counts (employees).

All data files are compiled once per process (``load_rules``); a call does no I/O.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from pipeline.model import CanonicalEntity, Company, Entity, Figure, Quote

DATA_DIR = Path(__file__).resolve().parent / "data" / "companies"
PLACES_FILE = Path(__file__).resolve().parent / "data" / "kb" / "places.yaml"

ROLE_PRIORITY = ("investor", "customer", "partner", "competitor")  # tie-break order
SCOPES = ("after", "before", "sentence", "agent", "object")


# --------------------------------------------------------------------------- rules (data)


@dataclass(frozen=True)
class RoleCue:
    role: str
    scope: str
    weight: float
    window: int
    regex: re.Pattern[str]
    needs_subject: bool = False  # only counts when the subject is named in the sentence


@dataclass(frozen=True)
class Rules:
    """Everything the stage reads from data files, compiled."""

    cues: tuple[RoleCue, ...]
    group_regex: re.Pattern[str]
    group_head: re.Pattern[str]
    group_role: str
    group_weight: float
    owner_genitive: re.Pattern[str]
    subject: dict[str, Any]
    affiliation_after: re.Pattern[str]
    affiliation_before: re.Pattern[str]
    not_company_name: re.Pattern[str]
    not_company_descriptor: re.Pattern[str]
    not_company_types: frozenset[str]
    not_company_sectors: frozenset[str]
    adjective_country: dict[str, str]  # lowercased adjective/demonym stem -> country
    compound_country: dict[str, str]  # "US" -> "US"
    place_country: dict[str, str]  # lowercased place name -> country (or broad region)
    region_before: re.Pattern[str]
    region_compound: re.Pattern[str]
    region_after: re.Pattern[str]
    region_next_sentence: re.Pattern[str]
    subject_demonym: re.Pattern[str]
    figure_window: int
    figure_kinds: tuple[tuple[str, re.Pattern[str]], ...]
    money_regex: re.Pattern[str]
    employees_regex: re.Pattern[str]
    company_then_product: tuple[re.Pattern[str], ...]
    product_then_company: tuple[re.Pattern[str], ...]


def _yaml(name: str) -> dict[str, Any]:
    with open(DATA_DIR / name, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def _word(pattern: str) -> str:
    """A cue must start and end at word edges ("-" counts as an edge: "US-Konkurrenten")."""
    return rf"(?<!\w)(?:{pattern})(?!\w)"


def _alternation(words) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True) if w)


def _load_places() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Adjectives, compounds and place names -> country, from the KB's places file."""
    adjectives: dict[str, str] = {}
    compounds: dict[str, str] = {}
    places: dict[str, str] = {}
    if not PLACES_FILE.exists():
        return adjectives, compounds, places
    with open(PLACES_FILE, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    code_country: dict[str, str] = {}
    for country in data.get("countries", []):
        name = country.get("country") or country.get("name")
        code_country[country["code"]] = name
        for adj in country.get("adjectives", []):
            adjectives[adj.lower()] = name
        for comp in country.get("compounds", []):
            compounds[comp] = name
        for place in [country.get("name"), *country.get("aliases", [])]:
            if place:
                places[place.lower()] = name
    for place in data.get("places", []):
        target = code_country.get(place.get("country", "")) or place.get("region")
        if not target or place.get("ambiguous"):
            continue
        names = [place.get("name"), *place.get("aliases", [])]
        for name in filter(None, names):
            places[name.lower()] = target
        # City demonyms: "Londoner", "Berliner", "Nürnberger" (inflected via \w* later).
        if " " not in place["name"] and not place["name"].endswith(("en", "er")):
            adjectives[(place["name"] + "er").lower()] = target
        for adj in place.get("adjectives", []):
            adjectives[adj.lower()] = target
    return adjectives, compounds, places


@functools.lru_cache(maxsize=1)
def load_rules() -> Rules:
    """Compile the data files once per process."""
    roles = _yaml("roles.yaml")
    regions = _yaml("regions.yaml")
    figures = _yaml("figures.yaml")
    products = _yaml("products.yaml")
    flags = re.IGNORECASE

    default_window = int(roles.get("default_window", 80))
    cues = []
    for cue in roles["cues"]:
        if cue["scope"] not in SCOPES:
            raise ValueError(f"roles.yaml: unknown scope {cue['scope']!r}")
        cues.append(
            RoleCue(
                role=cue["role"],
                scope=cue["scope"],
                weight=float(cue.get("weight", 1)),
                window=int(cue.get("window", default_window)),
                regex=re.compile(_word(cue["pattern"]), flags),
                needs_subject=bool(cue.get("needs_subject", False)),
            )
        )
    group = roles["group_cue"]
    subject = roles["subject"]
    affiliation = subject["affiliation_pattern"]
    not_companies = roles["not_companies"]

    adjectives, compounds, places = _load_places()
    for stem, code in (regions.get("demonyms") or {}).items():
        adjectives[stem.lower()] = _country_for_code(code) or code
    adj_alt = _alternation(adjectives)
    place_alt = _alternation(places)
    compound_alt = _alternation(compounds) or "US"

    def region_regex(key: str, **fmt) -> re.Pattern[str]:
        return re.compile(regions[key].format(**fmt))

    number_words = _alternation(figures["number_words"])
    return Rules(
        cues=tuple(cues),
        group_regex=re.compile(_word(group["pattern"].replace("{adj}", f"(?i:{adj_alt})"))),
        group_head=re.compile(_word(group["head"])),
        group_role=group["role"],
        group_weight=float(group["weight"]),
        owner_genitive=re.compile(roles["owner_genitive"]),
        subject=subject,
        affiliation_after=re.compile(rf"^-?(?:{affiliation})"),
        affiliation_before=re.compile(rf"(?:{affiliation})\s+(?:von|der|des|bei)\s+$"),
        not_company_name=re.compile(not_companies["name_pattern"], flags),
        not_company_descriptor=re.compile(r"(?<![\w-])" + not_companies["descriptor_before"]),
        not_company_types=frozenset(not_companies["kb_types"]),
        not_company_sectors=frozenset(not_companies["kb_sectors"]),
        adjective_country=adjectives,
        compound_country=compounds,
        place_country=places,
        region_before=region_regex("before_mention", adj=f"(?i:{adj_alt})"),
        region_compound=region_regex("compound_before_mention", compound=compound_alt),
        region_after=region_regex("after_mention", place=f"(?i:{place_alt})"),
        region_next_sentence=region_regex("after_next_sentence", place=f"(?i:{place_alt})"),
        subject_demonym=region_regex("subject_demonym", adj=f"(?i:{adj_alt})"),
        figure_window=int(figures["window"]),
        figure_kinds=tuple(
            (kind, re.compile(pattern, flags)) for kind, pattern in figures["kinds"].items()
        ),
        money_regex=re.compile(
            _word(figures["money_pattern"].replace("{number_words}", number_words)), flags
        ),
        employees_regex=re.compile(figures["employees_pattern"]),
        company_then_product=tuple(re.compile(p) for p in products["company_then_product"]),
        product_then_company=tuple(re.compile(p) for p in products["product_then_company"]),
    )


@functools.lru_cache(maxsize=1)
def _code_countries() -> dict[str, str]:
    if not PLACES_FILE.exists():
        return {}
    with open(PLACES_FILE, encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    return {c["code"]: c.get("country") or c.get("name") for c in data.get("countries", [])}


def _country_for_code(code: str) -> str | None:
    return _code_countries().get(code)


# --------------------------------------------------------------------------- collaborators


@functools.lru_cache(maxsize=1)
def _knowledge_base():
    """The shared KB (pipeline.kb), or None while it is not available."""
    try:
        from pipeline.kb import load_kb
    except ImportError:
        return None
    return load_kb()


@functools.lru_cache(maxsize=1)
def _money_parser():
    try:
        from pipeline.money import parse_money
    except ImportError:
        return None
    return parse_money


def _lookup(name: str):
    kb = _knowledge_base()
    if kb is None or not name:
        return None
    try:
        return kb.lookup(name)
    except Exception:  # a KB hiccup must not break the whole analysis
        return None


def _kb_attr(entry, name: str, default=None):
    return getattr(entry, name, default) if entry is not None else default


# --------------------------------------------------------------------------- working state


@dataclass
class _Org:
    """A company being assembled from one or more canonical entities."""

    name: str
    spans: list[tuple[int, int]] = field(default_factory=list)
    kb_entry: Any = None
    kb_id: str | None = None
    region: str | None = None
    institution: bool = False
    scores: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    best: dict[str, tuple[float, str]] = field(default_factory=dict)  # role -> (weight, sentence)
    products: list[str] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)


class _Sentences:
    """Sentence spans with O(log n) lookup of the sentence holding an offset."""

    def __init__(self, doc, text: str):
        spans = _sentence_spans(doc, text)
        # Headlines and subheads end without a full stop: a line break ends a sentence too.
        self.spans = [
            part for span in spans or [(0, len(text))] for part in _split_lines(text, span)
        ]
        self.starts = [s for s, _ in self.spans]

    def index(self, offset: int) -> int:
        return max(bisect.bisect_right(self.starts, offset) - 1, 0)

    def span(self, offset: int) -> tuple[int, int]:
        return self.spans[self.index(offset)]


def _sentence_spans(doc, text: str) -> list[tuple[int, int]]:
    """Sentence spans from the SENT_START array (much cheaper than iterating doc.sents)."""
    try:
        flags = doc.to_array(["SENT_START"])
    except (AttributeError, ValueError):
        return []
    token_starts = [i for i, flag in enumerate(flags.ravel().tolist()) if flag == 1]
    if not token_starts or len(doc) == 0:
        return []
    if token_starts[0] != 0:
        token_starts.insert(0, 0)
    chars = [doc[i].idx for i in token_starts] + [len(text)]
    return [(chars[i], chars[i + 1]) for i in range(len(token_starts))]


def _split_lines(text: str, span: tuple[int, int]) -> list[tuple[int, int]]:
    start, end = span
    parts = []
    for match in _LINE_BREAK.finditer(text, start, end):
        if match.start() > start:
            parts.append((start, match.start()))
        start = match.end()
    if start < end:
        parts.append((start, end))
    return parts or [span]


_LINE_BREAK = re.compile(r"\s*\n\s*")


# --------------------------------------------------------------------------- entry point


def extract_companies(
    doc,
    entities: list[Entity],
    canonical: list[CanonicalEntity],
    quotes: list[Quote],
    title: str = "",
) -> list[Company]:
    """Companies of one parsed document, subject first, then by mentions."""
    rules = load_rules()
    text = doc.text
    sentences = _Sentences(doc, text)
    orgs, product_entities = _collect_orgs(canonical, rules)
    if not orgs:
        return []
    _mark_third_parties(orgs, text, rules)
    mentions = sorted((s, e, org) for org in orgs for s, e in org.spans)
    mention_starts = [m[0] for m in mentions]

    subject = _find_subject(orgs, text, title, quotes, rules)
    _assign_roles(orgs, subject, mentions, mention_starts, text, sentences, rules)
    _assign_regions(orgs, subject, text, sentences, rules, mentions)
    _link_products(orgs, product_entities, mentions, text, sentences, rules)
    _attach_figures(orgs, subject, entities, mentions, text, sentences, rules)

    companies = []
    for org in orgs:
        role = "subject" if org is subject else _decide_role(org)
        evidence = org.best[role][1] if role in org.best else ""
        if role == "subject":
            evidence = _subject_evidence(org, text, sentences)
        companies.append(
            Company(
                name=org.name,
                role=role,
                region=org.region,
                products=org.products,
                mentions=len(org.spans),
                positions=sorted(s for s, _ in org.spans),
                figures=sorted(org.figures, key=lambda f: f.start),
                evidence=evidence,
                kb_id=org.kb_id,
            )
        )
    companies.sort(key=lambda c: (c.role != "subject", -c.mentions, min(c.positions, default=0)))
    return companies


# --------------------------------------------------------------------------- organisations


def _collect_orgs(
    canonical: list[CanonicalEntity], rules: Rules
) -> tuple[list[_Org], list[tuple[str, list[tuple[int, int]], Any]]]:
    """ORG clusters (merged by KB id) and the product clusters (name, spans, KB entry)."""
    by_key: dict[str, _Org] = {}
    products: list[tuple[str, list[tuple[int, int]], Any]] = []
    named_as_org: list[tuple[str, list[tuple[int, int]], Any]] = []

    def add(name: str, entry, kb_id: str | None, region, spans) -> None:
        key = kb_id or name.casefold()
        org = by_key.get(key)
        if org is None:
            name = _kb_attr(entry, "name") or name
            org = by_key[key] = _Org(name=name, kb_entry=entry, kb_id=kb_id)
            org.region = _kb_region(entry) or region
            org.institution = _is_institution(name, entry, rules)
        org.spans.extend(tuple(m) for m in spans)

    for cluster in canonical:
        if not cluster.mentions:
            continue
        entry = _lookup(cluster.name)
        kb_label = _kb_attr(entry, "label")
        if cluster.label == "PRODUCT" or (cluster.label == "ORG" and kb_label == "PRODUCT"):
            products.append((cluster.name, list(cluster.mentions), entry))
            if cluster.label == "ORG":
                named_as_org.append((cluster.name, list(cluster.mentions), entry))
            continue
        is_org = cluster.label == "ORG" or (cluster.label == "MISC" and kb_label == "ORG")
        if is_org:
            kb_id = cluster.kb_id or _kb_attr(entry, "id")
            add(cluster.name, entry, kb_id, cluster.region, cluster.mentions)
    # A product named like a company ("Amazon Web Services" tagged ORG) whose maker the
    # article does not name otherwise stands for the maker.
    for _, spans, entry in named_as_org:
        maker = _lookup(_kb_attr(entry, "company") or "")
        maker_id = _kb_attr(maker, "id")
        if maker is not None and maker_id not in by_key:
            add(maker.name, maker, maker_id, None, spans)
    for org in by_key.values():
        org.spans = sorted(set(org.spans))
    return list(by_key.values()), products


def _mark_third_parties(orgs: list[_Org], text: str, rules: Rules) -> None:
    """ "des Marktforschungsunternehmens Iges", "Redaktion finanzen.net": not a business party."""
    for org in orgs:
        if not org.institution:
            start = org.spans[0][0]
            org.institution = bool(
                rules.not_company_descriptor.search(text[max(0, start - 40) : start])
            )


def _kb_region(entry) -> str | None:
    return _kb_attr(entry, "country") or _kb_attr(entry, "region")


def _is_institution(name: str, entry, rules: Rules) -> bool:
    kind = (_kb_attr(entry, "type") or "").lower()
    sector = (_kb_attr(entry, "sector") or "").lower()
    return (
        kind in rules.not_company_types
        or sector in rules.not_company_sectors
        or bool(rules.not_company_name.search(name))
    )


# --------------------------------------------------------------------------- subject


def _title_span(text: str, title: str) -> tuple[int, int]:
    if title and text.startswith(title):
        return 0, len(title)
    first_break = text.find("\n")
    return 0, first_break if first_break != -1 else min(len(text), 200)


def _find_subject(orgs: list[_Org], text: str, title: str, quotes: list[Quote], rules: Rules):
    cfg = rules.subject
    title_start, title_end = _title_span(text, title)
    title_firsts = [
        (min(s for s, _ in org.spans if s < title_end), id(org))
        for org in orgs
        if any(s < title_end for s, _ in org.spans)
    ]
    first_in_title = min(title_firsts)[1] if title_firsts else None
    speakers = {(q.speaker_start, q.speaker_end) for q in quotes if q.speaker_start is not None}

    best, best_score = None, 0.0
    for org in orgs:
        if org.institution:
            continue
        in_title = any(title_start <= s < title_end for s, _ in org.spans)
        if len(org.spans) < cfg["min_mentions"] and not in_title:
            continue
        affiliations = sum(
            1
            for s, e in org.spans
            if rules.affiliation_after.match(text, e) or rules.affiliation_before.search(text[:s])
        )
        # A quote by someone introduced as "<Company>-Gründer X" also speaks for the company.
        affiliations += sum(
            1 for s, e in org.spans if any(0 <= ss - e <= 20 for ss, _ in speakers if ss)
        )
        score = (
            len(org.spans)
            + (cfg["title_bonus"] if in_title else 0)
            + (cfg["first_in_title_bonus"] if id(org) == first_in_title else 0)
            + cfg["affiliation_bonus"] * affiliations
        )
        if score > best_score or (
            score == best_score and best is not None and org.spans[0] < best.spans[0]
        ):
            best, best_score = org, score
    return best


def _subject_evidence(org: _Org, text: str, sentences: _Sentences) -> str:
    start, end = sentences.span(org.spans[0][0])
    return text[start:end].strip()


# --------------------------------------------------------------------------- roles


def _assign_roles(orgs, subject, mentions, mention_starts, text, sentences, rules: Rules):
    """Collect, for every non-subject mention, its best role cue in its sentence."""
    by_sentence: dict[int, list[tuple[int, int, _Org]]] = defaultdict(list)
    for start, end, org in mentions:
        by_sentence[sentences.index(start)].append((start, end, org))

    # Cues are only looked for in sentences that name a company that could take a role.
    cue_hits: dict[int, list[tuple[RoleCue, int, int]]] = defaultdict(list)
    for index, sentence_mentions in by_sentence.items():
        if all(o is subject or o.institution for _, _, o in sentence_mentions):
            continue
        sent_start, sent_end = sentences.spans[index]
        for cue in rules.cues:
            for match in cue.regex.finditer(text, sent_start, sent_end):
                if _owned_by_other(match.start(), mentions, mention_starts, subject, text, rules):
                    continue
                cue_hits[index].append((cue, match.start(), match.end()))

    # Group mentions ("chinesische Anbieter") make the companies of this and the next
    # sentence peers of the subject.
    group_sentences: set[int] = set()
    for head in rules.group_head.finditer(text):
        if rules.group_regex.search(text, max(0, head.start() - 60), head.end()):
            index = sentences.index(head.start())
            group_sentences.update((index, index + 1))

    for index, sentence_mentions in by_sentence.items():
        sent_start, sent_end = sentences.spans[index]
        sentence = text[sent_start:sent_end].strip()
        subject_starts = [s for s, _, o in sentence_mentions if o is subject]
        for start, end, org in sentence_mentions:
            if org is subject or org.institution:
                continue
            best: tuple[float, int, str] | None = None  # (weight, -distance, role)
            for cue, cue_start, cue_end in cue_hits.get(index, ()):
                if cue.needs_subject and not subject_starts:
                    continue
                distance = _cue_distance(cue, cue_start, cue_end, start, end, subject_starts)
                if distance is None:
                    continue
                candidate = (cue.weight, -distance, cue.role)
                if best is None or candidate > best:
                    best = candidate
            if best is None and index in group_sentences:
                best = (rules.group_weight, 0, rules.group_role)
            if best is None:
                continue
            weight, _, role = best
            org.scores[role] += weight
            if weight > org.best.get(role, (0.0, ""))[0]:
                org.best[role] = (weight, sentence)


def _cue_distance(cue: RoleCue, cue_start, cue_end, start, end, subject_starts) -> int | None:
    """How far the mention is from the cue, or None when the cue does not apply to it."""
    if cue.scope == "after":
        gap = start - cue_end
        return gap if 0 <= gap <= cue.window else None
    if cue.scope == "before":
        gap = cue_start - end
        return gap if 0 <= gap <= cue.window else None
    if cue.scope == "agent":
        gap = cue_start - end
        if 0 <= gap <= cue.window and any(s >= cue_end for s in subject_starts):
            return gap
        return None
    if cue.scope == "object":
        gap = start - cue_end
        if 0 <= gap <= cue.window and any(s < cue_start for s in subject_starts):
            return gap
        return None
    return max(start - cue_end, cue_start - end, 0)  # sentence


def _owned_by_other(cue_start, mentions, mention_starts, subject, text, rules: Rules) -> bool:
    """ "Microsofts Cloud-Rivale": the cue speaks about another company, not the subject."""
    i = bisect.bisect_left(mention_starts, cue_start) - 1
    if i < 0:
        return False
    _, end, org = mentions[i]
    if org is subject or end > cue_start or cue_start - end > 25:
        return False
    return bool(rules.owner_genitive.search(text[end:cue_start]))


def _decide_role(org: _Org) -> str:
    if org.institution or not org.scores:
        return "mentioned"
    return max(
        org.scores,
        key=lambda role: (org.scores[role], -ROLE_PRIORITY.index(role)),
    )


# --------------------------------------------------------------------------- regions


def _assign_regions(orgs, subject, text, sentences, rules: Rules, mentions):
    next_mention = {id(m): i for i, m in enumerate(mentions)}
    for org in orgs:
        if org.region:
            continue
        for start, end in org.spans:
            region = _region_from_text(text, start, end, sentences, rules, mentions, next_mention)
            if region:
                org.region = region
                break
    if subject is not None and not subject.region:
        for match in rules.subject_demonym.finditer(text):
            region = _adjective_country(match.group("adj"), rules)
            if region:
                subject.region = region
                break


def _adjective_country(adjective: str, rules: Rules) -> str | None:
    word = adjective.lower()
    if word in rules.adjective_country:
        return rules.adjective_country[word]
    # Longest known stem that the inflected word starts with ("japanischen" -> "japanisch").
    for stem in sorted(rules.adjective_country, key=len, reverse=True):
        if word.startswith(stem):
            return rules.adjective_country[stem]
    return None


def _region_from_text(text, start, end, sentences, rules: Rules, mentions, _index) -> str | None:
    sent_start, sent_end = sentences.span(start)
    before = text[max(sent_start, start - 80) : start]
    match = rules.region_compound.search(before)
    if match:
        return rules.compound_country.get(match.group("adj"))
    match = rules.region_before.search(before)
    if match:
        return _adjective_country(match.group("adj"), rules)
    # After the mention, up to the next company mention (it would own the phrase).
    limit = min(
        (s for s, _, _ in mentions if s > end),
        default=len(text),
    )
    after = text[end : min(sent_end, limit)]
    match = rules.region_after.search(after)
    if match:
        return rules.place_country.get(match.group("place").lower())
    match = rules.region_next_sentence.search(text[end : min(limit, end + 320)])
    if match:
        return rules.place_country.get(match.group("place").lower())
    return None


# --------------------------------------------------------------------------- products


def _link_products(orgs, products, mentions, text, sentences, rules: Rules):
    by_name = {org.name.casefold(): org for org in orgs}
    by_kb = {org.kb_id: org for org in orgs if org.kb_id}
    for name, spans, entry in products:
        product_name = _kb_attr(entry, "name") or name
        owner = None
        company = _kb_attr(entry, "company")
        if company:
            owner = by_name.get(company.casefold())
            if owner is None:
                company_entry = _lookup(company)
                owner = by_kb.get(_kb_attr(company_entry, "id"))
        if owner is None and company:
            continue  # the KB's maker is not in this article: no guessing from the text
        if owner is None:
            owner = _owner_from_text(spans, mentions, text, sentences, rules)
        if owner is None:
            owner = next(
                (o for o in orgs if product_name.casefold().startswith(o.name.casefold() + " ")),
                None,
            )
        if owner is not None and product_name not in owner.products:
            owner.products.append(product_name)


def _genitive_gap(text: str, start: int, end: int, org: _Org) -> str:
    """ "Googles": the genitive s belongs to the gap patterns, whether or not it is in the span."""
    mention = text[start:end]
    if mention.endswith(("s", "'")) and not org.name.endswith(("s", "'")):
        return "s"
    return ""


def _owner_from_text(spans, mentions, text, sentences, rules: Rules):
    for p_start, p_end in spans:
        sent_start, sent_end = sentences.span(p_start)
        for m_start, m_end, org in mentions:
            if m_start < sent_start or m_start >= sent_end:
                continue
            if m_end <= p_start and any(
                p.match(_genitive_gap(text, m_start, m_end, org) + text[m_end:p_start])
                for p in rules.company_then_product
            ):
                return org
            if p_end <= m_start and any(
                p.match(text[p_end:m_start]) for p in rules.product_then_company
            ):
                return org
    return None


# --------------------------------------------------------------------------- figures


def _attach_figures(orgs, subject, entities, mentions, text, sentences, rules: Rules):
    parse = _money_parser()
    spans: list[tuple[int, int]] = []
    if parse is not None:
        spans = [(e.start, e.end) for e in entities if e.label == "MONEY"]
        for match in rules.money_regex.finditer(text):
            if not any(s < match.end() and match.start() < e for s, e in spans):
                spans.append((match.start(), match.end()))
    for start, end in sorted(spans):
        parsed = parse(text[start:end])
        if not parsed:
            continue
        value, currency = parsed
        kind = _figure_kind(text, start, end, sentences, rules)
        _add_figure(orgs, subject, mentions, text, sentences, start, end, value, currency, kind)
    for match in rules.employees_regex.finditer(text):
        value = float(match.group("num").replace(".", ""))
        start, end = match.start("num"), match.end()
        _add_figure(orgs, subject, mentions, text, sentences, start, end, value, None, "employees")


def _figure_kind(text, start, end, sentences, rules: Rules) -> str:
    sent_start, sent_end = sentences.span(start)
    window = rules.figure_window
    lo, hi = max(sent_start, start - window), min(sent_end, end + window)
    best: tuple[int, str] | None = None
    for kind, regex in rules.figure_kinds:
        for match in regex.finditer(text, lo, hi):
            distance = max(start - match.end(), match.start() - end, 0)
            if best is None or distance < best[0]:
                best = (distance, kind)
    return best[1] if best else "money"


def _add_figure(orgs, subject, mentions, text, sentences, start, end, value, currency, kind):
    sent_start, sent_end = sentences.span(start)
    in_sentence = [(s, e, o) for s, e, o in mentions if sent_start <= s < sent_end]
    owner = None
    if kind in ("funding", "valuation"):
        # The money goes to the company being funded, not to its investors.
        candidates = [m for m in in_sentence if m[2] is subject or _decide_role(m[2]) != "investor"]
    else:
        candidates = in_sentence
    if candidates:
        owner = min(candidates, key=lambda m: max(start - m[1], m[0] - end, 0))[2]
    elif subject is not None:
        owner = subject
    if owner is None:
        return
    owner.figures.append(
        Figure(
            text=text[start:end],
            value=float(value),
            currency=currency,
            kind=kind,
            start=start,
            end=end,
            company=owner.name,
            sentence=text[sent_start:sent_end].strip(),
        )
    )
