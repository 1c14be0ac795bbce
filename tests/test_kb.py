"""The knowledge base: data integrity and the lookup interface other stages use."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.kb import genitive, load_kb, normalise


def test_kb_is_large_and_covers_all_kinds():
    kb = load_kb()
    kinds = Counter((e.label, e.type) for e in kb)
    organisations = sum(n for (label, _), n in kinds.items() if label == "ORG")
    assert organisations >= 300
    assert kinds[("ORG", "institution")] >= 20
    assert sum(n for (label, _), n in kinds.items() if label == "PRODUCT") >= 150
    assert sum(n for (label, _), n in kinds.items() if label == "LOC") >= 100
    sectors = {e.sector for e in kb if e.label == "ORG"}
    for sector in (
        "ai",
        "technology",
        "media",
        "finance",
        "automotive",
        "pharma",
        "sports",
        "consumer-goods",
    ):
        assert sector in sectors


def test_every_organisation_has_country_and_region():
    missing = [
        e.id for e in load_kb() if e.label in ("ORG", "PRODUCT") and not (e.region and e.country)
    ]
    assert missing == []


def test_no_name_is_claimed_by_two_entries_for_sure():
    """A name (or generated genitive) that two entries claim must be marked ambiguous."""
    claims: dict[str, set[str]] = {}
    for entry in load_kb():
        for name in entry.names:
            if entry.is_sure(name):
                for form in filter(None, (name, genitive(name))):
                    claims.setdefault(normalise(form), set()).add(entry.id)
    assert {k: v for k, v in claims.items() if len(v) > 1} == {}


@pytest.mark.parametrize(
    ("name", "kb_id", "canonical", "label"),
    [
        ("Luma", "luma", "Luma", "ORG"),
        ("Luma AI", "luma", "Luma", "ORG"),
        ("Luma Labs", "luma", "Luma", "ORG"),
        ("Lumas", "luma", "Luma", "ORG"),
        ("Googles", "google", "Google", "ORG"),
        ("google", "google", "Google", "ORG"),
        ("OpenAIs", "openai", "OpenAI", "ORG"),
        ("Siemens AG", "siemens", "Siemens", "ORG"),
        ("Apple Inc.", "apple", "Apple", "ORG"),
        ("Deutsche Telekom AG", "deutsche-telekom", "Deutsche Telekom", "ORG"),
        ("Coca-Cola", "coca-cola", "Coca-Cola", "ORG"),
        ("Coca‑Cola", "coca-cola", "Coca-Cola", "ORG"),  # non-breaking hyphen
        ("„Humain“", "humain", "Humain", "ORG"),
        ("Europäischen Union", "eu", "EU", "ORG"),
        ("Sora", "openai.sora", "Sora", "PRODUCT"),
        ("Dream Machine", "luma.dream-machine", "Dream Machine", "PRODUCT"),
        ("Ray 3", "luma.ray-3", "Ray 3", "PRODUCT"),
        ("FLUX.2", "black-forest-labs.flux-2", "Flux 2", "PRODUCT"),
        ("USA", "place.us", "USA", "LOC"),
        ("Vereinigten Staaten", "place.us", "USA", "LOC"),
        ("Vereinigte Staaten", "place.us", "USA", "LOC"),
        ("US-", "place.us", "USA", "LOC"),
        ("Saudi-Arabien", "place.sa", "Saudi-Arabien", "LOC"),
        ("München", "place.muenchen", "München", "LOC"),
    ],
)
def test_lookup(name, kb_id, canonical, label):
    entry = load_kb().lookup(name)
    assert entry is not None, name
    assert (entry.id, entry.name, entry.label) == (kb_id, canonical, label)


@pytest.mark.parametrize("name", ["Gründer", "KI", "Start-up", "Mathematiker", "", "   "])
def test_lookup_of_unknown_names(name):
    assert load_kb().lookup(name) is None


@pytest.mark.parametrize(
    ("product", "company"),
    [
        ("Sora", "OpenAI"),
        ("ChatGPT", "OpenAI"),
        ("GPT-4", "OpenAI"),
        ("Veo", "Google"),
        ("Gemini", "Google"),
        ("Ray 2", "Luma"),
        ("Ray 3", "Luma"),
        ("Dream Machine", "Luma"),
        ("Genie", "Luma"),
        ("Flux", "Black Forest Labs"),
        ("Flux 2", "Black Forest Labs"),
        ("Firefly", "Adobe"),
        ("Vision Pro", "Apple"),
        ("TikTok", "ByteDance"),
    ],
)
def test_products_link_to_their_company(product, company):
    kb = load_kb()
    entry = kb.lookup(product, label="PRODUCT")
    assert entry is not None and entry.label == "PRODUCT"
    assert entry.company == company
    maker = kb.get(entry.company_id)
    assert maker is not None and maker.name == company and product in maker.products
    assert entry.region == maker.region


@pytest.mark.parametrize(
    ("name", "region", "country"),
    [
        ("Luma", "US", "US"),
        ("DeepSeek", "China", "China"),
        ("ByteDance", "China", "China"),
        ("Black Forest Labs", "Europe", "Germany"),
        ("Synthesia", "Europe", "UK"),
        ("Humain", "Saudi Arabia", "Saudi Arabia"),
        ("Dentsu", "Japan", "Japan"),
        ("Mistral AI", "Europe", "France"),
        ("SAP", "Europe", "Germany"),
    ],
)
def test_regions(name, region, country):
    entry = load_kb().lookup(name)
    assert (entry.region, entry.country) == (region, country)


def test_sample_article_companies_are_known():
    kb = load_kb()
    for name in [
        "Luma",
        "OpenAI",
        "Google",
        "Apple",
        "Nike",
        "Alpha Industries",
        "Synthesia",
        "Nvidia",
        "General Catalyst",
        "Humain",
        "Adobe",
        "Black Forest Labs",
        "Coca-Cola",
        "Dentsu",
        "Alibaba",
        "ByteDance",
        "Kuaishou",
        "Baidu",
        "MiniMax",
        "Runway",
        "DeepSeek",
    ]:
        entry = kb.lookup(name, label="ORG")
        assert entry is not None and entry.label == "ORG", name


def test_ambiguous_names_are_flagged():
    kb = load_kb()
    assert not kb.lookup("Bayer", label="ORG").is_sure("Bayer")
    assert not kb.lookup("Genie", label="PRODUCT").is_sure("Genie")
    assert kb.lookup("Luma").is_sure("Luma")


def test_adjectives_name_places():
    kb = load_kb()
    assert kb.place_for_adjective("chinesischen").name == "China"
    assert kb.place_for_adjective("US-amerikanische").name == "USA"
    assert kb.place_for_adjective("europäische").name == "Europa"
    assert kb.place_for_adjective("gewaltigem") is None


def test_load_kb_is_cached():
    assert load_kb() is load_kb()


def test_weak_declension_of_adjective_led_names():
    from pipeline.kb import declined

    assert declined("Deutsche Post") == "Deutschen Post"
    assert declined("Die Zeit") is None and declined("Google") is None
    kb = load_kb()
    assert kb.lookup("Deutschen Bank").name == kb.lookup("Deutsche Bank").name
