"""Quotes stage: the sample article against its gold, conventions on short snippets, and the
news-set targets. Runs with whatever model load_nlp() gives (blank, shipped or official)."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT, XGLUE_PATH

from pipeline import entities as entities_stage
from pipeline.ingest import document_from_text
from pipeline.model import QUOTE_KINDS
from pipeline.nlp import load_nlp
from pipeline.quotes import extract_quotes
from pipeline.quotes.evaluate import load_gold, score_article
from pipeline.quotes.marks import find_marked_spans
from pipeline.quotes.resources import get_resources

GOLD_DIR = ROOT / "tests" / "data" / "quotes_gold"
SPEAKER = "Amit Jain"


def quotes_of(text: str):
    doc = load_nlp()(text)
    found, canonical = entities_stage.extract_entities(doc)
    return extract_quotes(doc, found, canonical)


@pytest.fixture(scope="module")
def sample(sample_text):
    text = document_from_text(sample_text).text
    gold = json.loads((GOLD_DIR / "sample.json").read_text(encoding="utf-8"))["quotes"]
    return text, gold, quotes_of(text)


def _overlapping(quote, candidates):
    return [c for c in candidates if c.start < quote["end"] and quote["start"] < c.end]


# --- the sample article -------------------------------------------------------------------


def test_sample_every_direct_quote_found_with_exact_span(sample):
    text, gold, quotes = sample
    direct = [q for q in quotes if q.kind == "direct"]
    for g in (g for g in gold if g["kind"] == "direct"):
        match = [q for q in direct if (q.start, q.end) == (g["start"], g["end"])]
        assert match, f"missed {g['text'][:50]!r}"
        assert match[0].text == g["text"]


def test_sample_has_no_false_direct_quote(sample):
    text, gold, quotes = sample
    gold_direct = [g for g in gold if g["kind"] == "direct"]
    for q in quotes:
        if q.kind == "direct":
            assert any(g["start"] == q.start and g["end"] == q.end for g in gold_direct), q.text
    assert not [q for q in quotes if q.text == "Genie"]  # a quoted model name, no quote


def test_sample_direct_speakers(sample):
    text, gold, quotes = sample
    by_span = {(q.start, q.end): q for q in quotes}
    for g in (g for g in gold if g["kind"] == "direct"):
        assert by_span[(g["start"], g["end"])].speaker == g["speaker"], g["text"][:50]


def test_sample_teaser_quote_has_no_speaker(sample):
    text, gold, quotes = sample
    teaser = next(q for q in quotes if q.text.startswith("Wir brauchen mehr Kapital"))
    assert teaser.kind == "direct"
    assert teaser.speaker is None and teaser.speaker_start is None
    assert "Lesen Sie auch" in teaser.cue


def test_sample_headline_quote_is_jains(sample):
    text, gold, quotes = sample
    headline = next(q for q in quotes if q.start < text.index("\n"))
    assert headline.text.startswith("DeepSeek ist das Beste")
    assert headline.speaker == SPEAKER


@pytest.mark.parametrize(
    "cue_mention", ["Jain", "der Gründer", "der US-Unternehmer", "Luma-Gründer Jain"]
)
def test_sample_cue_mentions_resolve_to_amit_jain(sample, cue_mention):
    """Each way the sample names its speaker in a cue resolves to the canonical person."""
    text, _, quotes = sample
    named = [
        q
        for q in quotes
        if q.speaker_start is not None
        and cue_mention.endswith(text[q.speaker_start : q.speaker_end])
        and text[max(0, q.speaker_start - len(cue_mention)) : q.speaker_end].endswith(cue_mention)
    ]
    assert named, f"no quote names its speaker as {cue_mention!r}"
    assert {q.speaker for q in named} == {SPEAKER}


def test_sample_indirect_quotes_found_with_speaker(sample):
    text, gold, quotes = sample
    indirect = [q for q in quotes if q.kind == "indirect"]
    for g in (g for g in gold if g["kind"] == "indirect"):
        match = _overlapping(g, indirect)
        assert match, f"missed indirect {g['text'][:50]!r}"
        assert match[0].speaker == g["speaker"], g["text"][:50]
    erklaert = [q for q in indirect if q.cue == "erklärt"]
    assert erklaert and {q.speaker for q in erklaert} == {SPEAKER}


def test_sample_spans_are_consistent(sample):
    text, _, quotes = sample
    assert quotes == sorted(quotes, key=lambda q: q.start)
    for q in quotes:
        assert q.kind in QUOTE_KINDS
        assert text[q.start : q.end] == q.text and q.text.strip() == q.text
        assert q.translation is None
        if q.speaker_start is not None:
            assert 0 <= q.speaker_start < q.speaker_end <= len(text)
            assert q.speaker is not None


# --- conventions on short snippets --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "content"),
    [
        ("»Wir wachsen schnell«, sagte Peter Müller.", "Wir wachsen schnell"),
        ("«Wir wachsen schnell», sagte Peter Müller.", "Wir wachsen schnell"),
        ('"Wir wachsen schnell", sagte Peter Müller.', "Wir wachsen schnell"),
        ("„Wir wachsen schnell“, sagte Peter Müller.", "Wir wachsen schnell"),
        ('„Wir wachsen schnell", sagte Peter Müller.', "Wir wachsen schnell"),
        ("“We are growing fast,” said Jane Smith.", "We are growing fast,"),
        ("„Er rief ‚Halt!‘ und ging“, sagte Peter Müller.", "Er rief ‚Halt!‘ und ging"),
    ],
)
def test_quote_conventions(text, content):
    quotes = quotes_of(text)
    direct = [q for q in quotes if q.kind == "direct"]
    assert [q.text for q in direct] == [content]
    assert direct[0].speaker in ("Peter Müller", "Jane Smith")


def test_interrupted_quote_and_continuation_keep_the_speaker():
    text = (
        "Die Firma wächst. „Wir sind zufrieden“, sagt Peter Müller. „Nächstes Jahr wollen wir "
        "expandieren.“ Das Wetter war schön."
    )
    quotes = [q for q in quotes_of(text) if q.kind == "direct"]
    assert [q.speaker for q in quotes] == ["Peter Müller", "Peter Müller"]
    assert quotes[0].cue == "sagt" and quotes[1].cue is None


def test_colon_introduced_quote_takes_the_clause_subject():
    text = "Peter Müller zeigte sich zufrieden und erklärt: „Wir haben unsere Ziele erreicht.“"
    (quote,) = quotes_of(text)
    assert quote.speaker == "Peter Müller" and quote.cue == "erklärt"


def test_names_titles_and_compounds_are_no_quotes():
    text = (
        "Die Sendung „Das Supertalent“ lief im „ZDF“. Der „Twilight“-Star spielte in "
        "„Die Chroniken von Narnia“ mit, das Modell hieß „Genie“."
    )
    assert [q for q in quotes_of(text) if q.kind == "direct"] == []


def test_role_noun_resolves_to_the_recent_person():
    text = (
        "Anna Schmidt leitet das Start-up seit 2020. „Wir verdoppeln den Umsatz“, sagte die "
        "Gründerin am Montag."
    )
    (quote,) = [q for q in quotes_of(text) if q.kind == "direct"]
    assert quote.speaker == "Anna Schmidt"
    assert text[quote.speaker_start : quote.speaker_end] == "die Gründerin"


def test_unnamed_speaker_stays_none():
    text = "„Wir ermitteln noch“, sagte ein Sprecher der Polizei."
    (quote,) = quotes_of(text)
    assert quote.speaker is None


def test_multi_paragraph_quote_is_named_by_its_last_part():
    text = "„Der erste Absatz des Zitats ist lang.\n„Der zweite Absatz endet hier“, sagte Peter Müller."
    quotes = [q for q in quotes_of(text) if q.kind == "direct"]
    assert [q.text for q in quotes] == [
        "Der erste Absatz des Zitats ist lang.",
        "Der zweite Absatz endet hier",
    ]
    assert {q.speaker for q in quotes} == {"Peter Müller"}


def test_interview_turns_are_quotes_of_the_person_named():
    text = (
        "Ein Gespräch\n\nDer Gründer Amit Jain spricht über Video-KI.\n"
        "ZEIT: Herr Jain, wie geht es weiter?\n"
        "Jain: Wir wollen ein Robotergehirn bauen. Das dauert noch."
    )
    quotes = quotes_of(text)
    assert [(q.text, q.speaker, q.cue) for q in quotes] == [
        ("Wir wollen ein Robotergehirn bauen. Das dauert noch.", "Amit Jain", ":")
    ]


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        ("Der Umsatz sei stark gestiegen, sagte Peter Müller.", "Peter Müller"),
        ("Peter Müller sagte, der Umsatz sei stark gestiegen.", "Peter Müller"),
        ("Laut Peter Müller ist der Umsatz stark gestiegen.", "Peter Müller"),
        ("Medien zufolge ist der Umsatz stark gestiegen.", None),
        ("Der Umsatz ist stark gestiegen, hieß es aus Firmenkreisen.", None),
    ],
)
def test_indirect_speech_patterns(text, speaker):
    (quote,) = quotes_of(text)
    assert quote.kind == "indirect"
    assert "Umsatz" in quote.text and quote.speaker == speaker


def test_konjunktiv_continuation_and_non_reports():
    text = (
        "Der Umsatz sei gestiegen, sagte Peter Müller. Das Team habe hart gearbeitet. "
        "Wie viel Gewinn die Firma macht, verrät sie nicht. Er glaubt, dass es so bleibt."
    )
    quotes = quotes_of(text)
    assert [q.text for q in quotes] == ["Der Umsatz sei gestiegen", "Das Team habe hart gearbeitet"]
    assert {q.speaker for q in quotes} == {"Peter Müller"}


def test_marked_spans_pair_each_convention_once():
    text = '„a“ »b« «c» "d" “e” „ungeschlossen'
    assert [text[s.start : s.end] for s in find_marked_spans(text)] == ["a", "b", "c", "d", "e"]


def test_word_lists_load_once():
    assert get_resources() is get_resources()
    assert get_resources().is_speech_verb("sagte") and get_resources().is_role("Luma-Gründer")


# --- evaluation ---------------------------------------------------------------------------


def test_score_article_counts_optional_gold_neither_way():
    from pipeline.model import Quote

    gold = [
        {"kind": "direct", "start": 0, "end": 10, "text": "x" * 10, "speaker": "A"},
        {
            "kind": "direct",
            "start": 20,
            "end": 25,
            "text": "y" * 5,
            "speaker": None,
            "optional": True,
        },
    ]
    system = [
        Quote("x", 2, 8, "direct", speaker="A"),
        Quote("y", 21, 24, "direct"),
        Quote("z", 40, 45, "indirect"),
    ]
    scores = score_article("t", gold, system)
    assert (scores["direct"].tp, scores["direct"].fp, scores["direct"].fn) == (1, 0, 0)
    assert scores["direct"].speaker_right == 1
    assert (scores["indirect"].tp, scores["indirect"].fp) == (0, 1)
    strict = score_article("t", gold, system, strict=True)["direct"]
    assert (strict.tp, strict.fp, strict.fn) == (2, 0, 0)


@pytest.fixture(scope="module")
def news_scores():
    # A failure, not a skip: CI always has ../shared beside the repo.
    assert XGLUE_PATH.exists(), f"shared news corpus missing: {XGLUE_PATH}"
    from pipeline.quotes.evaluate import KINDS, Score

    totals = {kind: Score() for kind in KINDS}
    nlp = load_nlp()
    for set_name, doc_id, text, gold in load_gold():
        if set_name == "sample":
            continue
        doc = nlp(text)
        found, canonical = entities_stage.extract_entities(doc)
        for kind, score in score_article(
            doc_id, gold, extract_quotes(doc, found, canonical)
        ).items():
            totals[kind].add(score)
    return totals


def test_news_set_meets_targets(news_scores):
    direct, indirect = news_scores["direct"], news_scores["indirect"]
    assert direct.tp + direct.fn >= 100  # the sets hold > 20 articles with quotes
    assert direct.f1 >= 0.90, direct.errors
    assert indirect.f1 >= 0.70, indirect.errors
    matched = direct.tp + indirect.tp
    assert (direct.speaker_right + indirect.speaker_right) / matched >= 0.85
