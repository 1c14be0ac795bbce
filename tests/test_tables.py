"""Tidy frames (pipeline/tables.py) from real analyses: the sample article and corpus
articles, with entities from the companies gold (so the frames are known without a model)
and the direct quotes of the text attributed as the article does."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from test_companies import GOLD_DIR, article_text, gold_entities, load_gold

from pipeline import tables, views
from pipeline.companies import extract_companies
from pipeline.ingest import document_from_text
from pipeline.model import (
    Analysis,
    CanonicalEntity,
    Company,
    Entity,
    Quote,
    SentencePair,
    Translation,
)
from pipeline.nlp import load_nlp

QUOTE = re.compile(r"„([^“]+)“")


def build_analysis(gold_name: str) -> Analysis:
    gold = load_gold(GOLD_DIR / f"{gold_name}.json")
    text, title = article_text(gold)
    doc = load_nlp()(text)
    found, canonical = gold_entities(text, gold)
    # Direct quotes „…“ as spans of the text; the sample's quotes are all by Amit Jain.
    quotes = [
        Quote(text=m.group(1), start=m.start(1), end=m.end(1), speaker="Amit Jain", cue="sagt")
        for m in QUOTE.finditer(text)
    ]
    if quotes:
        quotes[0].speaker = None  # the headline quote has no attributed speaker
    return Analysis(
        document=document_from_text(text, title=title),
        sentences=[(s.start_char, s.end_char) for s in doc.sents],
        entities=found,
        canonical_entities=canonical,
        quotes=quotes,
        companies=extract_companies(doc, found, canonical, quotes, title),
    )


@pytest.fixture(scope="module")
def sample() -> Analysis:
    return build_analysis("sample")


@pytest.fixture(scope="module")
def several(sample) -> list[Analysis]:
    return [sample, build_analysis("xglue-nc-dev-0838"), build_analysis("xglue-nc-dev-0948")]


EMPTY = Analysis(document=document_from_text("Ein kurzer Text ohne Namen."))

SINGLE = {
    tables.entities_frame: tables.ENTITY_COLUMNS,
    tables.mentions_frame: tables.MENTION_COLUMNS,
    tables.quotes_frame: tables.QUOTE_COLUMNS,
    tables.companies_frame: tables.COMPANY_COLUMNS,
    tables.figures_frame: tables.FIGURE_COLUMNS,
    tables.products_frame: tables.PRODUCT_COLUMNS,
    tables.sentences_frame: tables.SENTENCE_COLUMNS,
}
SEVERAL = {
    tables.articles_frame: tables.ARTICLE_COLUMNS,
    tables.company_mentions_by_article: tables.COMPANY_MENTION_COLUMNS,
    tables.entity_presence: tables.PRESENCE_COLUMNS,
    tables.quotes_by_speaker: tables.SPEAKER_COLUMNS,
}


@pytest.mark.parametrize("build", list(SINGLE), ids=lambda f: f.__name__)
def test_single_frames_have_contract_columns_even_when_empty(build, sample):
    assert list(build(sample).columns) == SINGLE[build]
    empty = build(EMPTY)
    assert list(empty.columns) == SINGLE[build] and len(empty) == 0


@pytest.mark.parametrize("build", list(SEVERAL), ids=lambda f: f.__name__)
def test_comparison_frames_have_contract_columns_even_when_empty(build, several):
    assert list(build(several).columns) == SEVERAL[build]
    assert list(build([]).columns) == SEVERAL[build] and len(build([])) == 0


def test_entities_frame_one_row_per_canonical_entity(sample):
    frame = tables.entities_frame(sample)
    assert len(frame) == len(sample.canonical_entities)
    luma = frame[frame["name"] == "Luma"].iloc[0]
    cluster = next(c for c in sample.canonical_entities if c.name == "Luma")
    assert luma["mentions"] == cluster.count > 10
    assert luma["first_position"] == sample.document.text.index("Luma")
    assert frame["mentions"].is_monotonic_decreasing
    assert frame["mentions"].dtype == "int64"


def test_mentions_frame_spans_point_into_text(sample):
    frame = tables.mentions_frame(sample)
    assert len(frame) == len(sample.entities)
    text = sample.document.text
    assert all(text[r.start : r.end] == r.text for r in frame.itertuples())
    assert frame["start"].is_monotonic_increasing


def test_quotes_frame(sample):
    frame = tables.quotes_frame(sample)
    assert len(frame) == len(sample.quotes) > 5
    assert frame["speaker"].iloc[0] is None or pd.isna(frame["speaker"].iloc[0])
    assert "Robotergehirn" in " ".join(frame["text"])
    assert set(frame["kind"]) == {"direct"}


def test_companies_frame_joins_products_and_keeps_roles(sample):
    frame = tables.companies_frame(sample).set_index("name")
    assert frame.loc["Luma", "role"] == "subject"
    assert frame.iloc[0].name == "Luma"  # subject first
    assert frame.loc["Google", "products"] == "Veo"
    assert frame.loc["Black Forest Labs", "region"] == "Germany"
    assert "Lizenzgebühren" in frame.loc["Coca-Cola", "evidence"]
    assert frame.loc["Adobe", "mentions"] == 1


def test_figures_frame_has_normalised_values(sample):
    pytest.importorskip("pipeline.money")
    frame = tables.figures_frame(sample)
    rows = {(r.kind, r.value, r.currency) for r in frame.itertuples()}
    assert ("valuation", 4e9, "USD") in rows and ("funding", 9e8, "USD") in rows
    assert set(frame["company"]) == {"Luma"}
    assert frame["value"].dtype == "float64"


def test_products_frame(sample):
    frame = tables.products_frame(sample)
    pairs = set(zip(frame["company"], frame["product"], strict=True))
    assert {("Google", "Veo"), ("OpenAI", "Sora"), ("Black Forest Labs", "Flux 2")} <= pairs
    assert set(frame[frame["company"] == "Google"]["role"]) == {"competitor"}


def test_sentences_frame_with_and_without_translation(sample):
    frame = tables.sentences_frame(sample)
    assert len(frame) == len(sample.sentences)
    assert frame["target"].isna().all()
    first_start, first_end = sample.sentences[0]
    translated = Analysis(
        document=sample.document,
        sentences=sample.sentences,
        translation=Translation(
            provider="test",
            sentences=[SentencePair("x", "First sentence.", first_start, first_end)],
        ),
    )
    frame = tables.sentences_frame(translated)
    assert frame["target"].iloc[0] == "First sentence."
    assert frame["target"].iloc[1:].isna().all()
    assert frame["source"].iloc[0] == sample.document.text[first_start:first_end]


def test_articles_frame(several):
    frame = tables.articles_frame(several)
    assert list(frame["id"]) == [a.doc_id for a in several]
    assert frame["article"].iloc[0].startswith("US-Firma Luma")
    assert frame["companies"].iloc[0] == len(several[0].companies)
    assert (frame["words"] > 100).all()


def test_repeated_titles_stay_distinct(sample):
    frame = tables.articles_frame([sample, sample])
    assert frame["article"].nunique() == 2


def test_company_mentions_by_article(several):
    frame = tables.company_mentions_by_article(several)
    assert len(frame) == sum(len(a.companies) for a in several)
    by_key = frame.set_index(["article", "company"])
    label = tables.article_labels(several)[1]
    assert by_key.loc[(label, "Microsoft"), "role"] == "investor"
    # OpenAI is the competitor in the sample and the subject of the second article.
    roles = set(frame[frame["company"] == "OpenAI"]["role"])
    assert roles == {"competitor", "subject"}


def test_entity_presence_long_form(several):
    frame = tables.entity_presence(several)
    shared = frame.groupby("entity")["article"].nunique()
    assert shared["Microsoft"] == 2 and shared["OpenAI"] == 2 and shared["Luma"] == 1
    assert (frame["mentions"] > 0).all()


def test_quotes_by_speaker(several):
    frame = tables.quotes_by_speaker(several)
    sample_rows = frame[frame["article"] == tables.article_labels(several)[0]]
    counts = dict(zip(sample_rows["speaker"], sample_rows["quotes"], strict=True))
    assert counts[tables.UNKNOWN_SPEAKER] == 1
    assert counts["Amit Jain"] == len(several[0].quotes) - 1


# --------------------------------------------------------------------------- shared entities


def test_shared_entities_splits_presence_into_shared_and_distinct(several):
    presence = tables.entity_presence(several)
    shared, distinct = tables.shared_entities(presence)
    labels = tables.article_labels(several)
    assert list(shared.columns) == tables.SHARED_COLUMNS + labels
    spread = presence.groupby(["entity", "label"])["article"].nunique()
    assert {(r.entity, r.label) for r in shared.itertuples()} == set(spread[spread >= 2].index)
    assert {(r.entity, r.label) for r in distinct.itertuples()} == set(spread[spread == 1].index)
    microsoft = shared.set_index("entity").loc["Microsoft"]
    counts = presence[presence["entity"] == "Microsoft"].set_index("article")["mentions"]
    assert microsoft["articles"] == 2 and microsoft["mentions"] == counts.sum()
    assert all(microsoft[label] == counts.get(label, 0) for label in labels)
    assert list(shared["articles"]) == sorted(shared["articles"], reverse=True)
    assert list(distinct.columns) == tables.DISTINCT_COLUMNS
    assert list(dict.fromkeys(distinct["article"])) == [
        label for label in labels if label in set(distinct["article"])
    ]


def test_shared_entities_of_nothing_keeps_the_columns():
    shared, distinct = tables.shared_entities(tables.entity_presence([]))
    assert shared.empty and list(shared.columns) == tables.SHARED_COLUMNS
    assert distinct.empty and list(distinct.columns) == tables.DISTINCT_COLUMNS


@pytest.mark.parametrize("titles", [["entity", "label"], ["total", "mentions", "articles"]])
def test_articles_titled_like_a_column_keep_their_own_column(sample, titles):
    """An article called "entity" used to crash the pivot; "total" overwrote the sums."""
    analyses = []
    for i, title in enumerate(titles):
        copy = Analysis.from_dict(sample.to_dict())
        copy.document.title = title
        copy.document.text += " " * (i + 1)  # another article (id) with the same entities
        analyses.append(copy)
    analyses.append(sample)
    shared, _ = tables.shared_entities(tables.entity_presence(analyses))

    assert shared.columns.is_unique
    article_columns = list(shared.columns[len(tables.SHARED_COLUMNS) :])
    assert len(article_columns) == len(analyses)
    assert set(shared["entity"]) == {c.name for c in sample.canonical_entities if c.count}
    assert (shared["articles"] == len(analyses)).all()
    by_name = {c.name: c.count for c in sample.canonical_entities}
    for row in shared.itertuples(index=False):
        counts = row[len(tables.SHARED_COLUMNS) :]
        assert list(counts) == [by_name[row.entity]] * len(analyses)
        assert row.mentions == by_name[row.entity] * len(analyses)


def test_shared_entities_keep_same_name_different_type_apart():
    presence = pd.DataFrame(
        [
            {"entity": "Paris", "label": "LOC", "article": "A", "mentions": 2},
            {"entity": "Paris", "label": "LOC", "article": "B", "mentions": 1},
            {"entity": "Paris", "label": "PER", "article": "B", "mentions": 4},
        ]
    )
    shared, distinct = tables.shared_entities(presence)
    assert shared[["entity", "label", "articles", "mentions", "A", "B"]].values.tolist() == [
        ["Paris", "LOC", 2, 3, 2, 1]
    ]
    assert distinct.values.tolist() == [["B", "Paris", "PER", 4]]


# --------------------------------------------------------------------------- panel views


def inflected() -> Analysis:
    """Google named as "Googles" and "Google"; its canonical entity is under another name,
    so the company's spans come from its recorded positions."""
    text = "Googles Modell Veo ist stark. „Wir schlagen Google“, sagt Luma. Sonst nichts."
    first, second = 0, text.index("Google“")
    luma = text.index("Luma.")
    entities = [
        Entity("Googles", "ORG", first, first + 7, "Google LLC"),
        Entity("Google", "ORG", second, second + 6, "Google LLC"),
        Entity("Luma", "ORG", luma, luma + 4, "Luma"),
    ]
    quote_start = text.index("„")
    quote_end = text.index("“") + 1
    return Analysis(
        document=document_from_text(text),
        entities=entities,
        canonical_entities=[
            CanonicalEntity("Google LLC", "ORG", [(first, first + 7), (second, second + 6)]),
            CanonicalEntity("Luma", "ORG", [(luma, luma + 4)]),
        ],
        quotes=[
            Quote(text[quote_start:quote_end], quote_start, quote_end, speaker="Luma"),
            Quote("Sonst nichts.", text.index("Sonst"), len(text)),
        ],
        companies=[Company("Google", positions=[first, second], mentions=2), Company("Luma")],
    )


def test_company_spans_cover_inflected_mentions():
    analysis = inflected()
    text = analysis.document.text
    spans = views.company_spans(analysis, "Google")
    assert [text[s:e] for s, e in spans] == ["Googles", "Google"]
    # Without an entity at a position, the name is extended to the end of its word.
    analysis.entities = []
    assert [text[s:e] for s, e in views.company_spans(analysis, "Google")] == ["Googles", "Google"]
    # A canonical entity of the same name (or KB id) gives its own mentions.
    assert views.company_spans(analysis, "Luma") == [(text.index("Luma."), text.index("Luma.") + 4)]
    assert views.company_spans(analysis, "Nobody") == []


def test_quotes_about_a_company_by_speaker_or_mention():
    analysis = inflected()
    about_google = views.quotes_about(analysis, "Google")
    assert [q.text for q in about_google] == ["„Wir schlagen Google“"]
    assert views.quotes_about(analysis, "Luma") == [analysis.quotes[0]]  # the speaker
    # A mention that straddles the quote's start still names the company.
    quote = analysis.quotes[1]
    analysis.companies[0].positions = [quote.start - 2]
    analysis.entities = [Entity("xxSonst", "ORG", quote.start - 2, quote.start + 5, "x")]
    assert quote in views.quotes_about(analysis, "Google")


def test_quote_translation_prefers_its_own_then_the_overlapping_sentences(sample):
    analysis = Analysis.from_dict(sample.to_dict())
    quote = analysis.quotes[1]
    assert views.quote_translation(analysis, quote) is None  # no translation at all
    pairs = [
        SentencePair(analysis.document.text[s:e], f"EN {i}", s, e)
        for i, (s, e) in enumerate(analysis.sentences)
    ]
    analysis.translation = Translation(provider="test", sentences=pairs)
    inside = [p.target for p in pairs if p.start < quote.end and quote.start < p.end]
    assert inside and views.quote_translation(analysis, quote) == " ".join(inside)
    for pair in pairs:  # untranslated sentences are left out
        pair.target = None
    assert views.quote_translation(analysis, quote) is None
    quote.translation = "Own translation."
    assert views.quote_translation(analysis, quote) == "Own translation."
    quote.translation = None
    analysis.translation = Translation(provider="test", sentences=pairs, error="unreachable")
    assert views.quote_translation(analysis, quote) is None
