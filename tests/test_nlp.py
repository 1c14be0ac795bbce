"""The spaCy pipeline: tokenizer, sentence splitting, KB/pattern ruler and its precedence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.kb import load_kb
from pipeline.model import ENTITY_LABELS
from pipeline.nlp import load_nlp, merge_entities, model_name

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = (ROOT / "pipeline" / "data" / "sample_article.de.txt").read_text(encoding="utf-8")
CORPUS = ROOT.parent / "shared" / "corpora" / "xglue-news-de" / "articles.jsonl"


def tokens(text: str) -> list[str]:
    return [t.text for t in load_nlp().make_doc(text)]


def sentences(text: str) -> list[str]:
    return [s.text.strip() for s in load_nlp()(text).sents]


def ents(text: str) -> list[tuple[str, str]]:
    return [(e.text, e.label_) for e in load_nlp()(text).ents]


def corpus_article(article_id: str) -> str:
    with CORPUS.open(encoding="utf-8") as lines:
        for line in lines:
            article = json.loads(line)
            if article["id"] == article_id:
                return article["title"] + "\n\n" + article["body"]
    raise KeyError(article_id)


def test_load_nlp_is_loaded_once():
    assert load_nlp() is load_nlp()
    assert model_name() in (
        "blank:de",
        "de_newslens_ner",
        "de_core_news_lg",
        "de_core_news_md",
        "de_core_news_sm",
    )


@pytest.mark.parametrize(
    "kept",
    [
        "z.",
        "B.",
        "Dr.",
        "Prof.",
        "u.",
        "a.",
        "Mio.",
        "Mrd.",
        "1.",
        "Luma-Gründer",
        "US-Start-up",
        "TikTok-Mutter",
        "Inc.",
        "Corp.",
    ],
)
def test_tokenizer_keeps_abbreviations_ordinals_and_compounds(kept):
    text = (
        "Laut Prof. Dr. Meier u. a. hat das US-Start-up der Luma-Gründer z. B. am 1. Februar "
        "4 Mio. bzw. 2 Mrd. Euro von der TikTok-Mutter, Apple Inc. und Acme Corp. erhalten."
    )
    assert kept in tokens(text)


def test_tokenizer_separates_quotes_and_year_periods():
    assert tokens('„Genie“ und »Sora« und "Veo"') == [
        "„",
        "Genie",
        "“",
        "und",
        "»",
        "Sora",
        "«",
        "und",
        '"',
        "Veo",
        '"',
    ]
    assert tokens("Er kam 2017.")[-2:] == ["2017", "."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Das kostet z. B. 4 Mio. Euro. Dann ging er.",
            ["Das kostet z. B. 4 Mio. Euro.", "Dann ging er."],
        ),
        (
            "Laut Prof. Dr. Meier u. a. ist das gut. Ja.",
            ["Laut Prof. Dr. Meier u. a. ist das gut.", "Ja."],
        ),
        (
            "Am 1. Februar 2025 begann es. Am 3. März endete es.",
            ["Am 1. Februar 2025 begann es.", "Am 3. März endete es."],
        ),
        ("Er kam 2017. Danach ging er.", ["Er kam 2017.", "Danach ging er."]),
        ("„Das war gut.“ Dann ging er.", ["„Das war gut.“", "Dann ging er."]),
        ("Er sagte: „Ja.“ und ging.", ["Er sagte: „Ja.“ und ging."]),
        ("»Wirklich?« Ja! (So war es.) Gut.", ["»Wirklich?«", "Ja!", "(So war es.)", "Gut."]),
        ('"Das ist neu." Sie lachte.', ['"Das ist neu."', "Sie lachte."]),
        (
            "Rechenzentrum in Saudi-Arabien\nNeuer Großgesellschafter ist Humain.",
            ["Rechenzentrum in Saudi-Arabien", "Neuer Großgesellschafter ist Humain."],
        ),
        (
            "Titel ohne Punkt\n\nDer Text beginnt hier.",
            ["Titel ohne Punkt", "Der Text beginnt hier."],
        ),
        ("Das ist der 3. Platz für Luma.", ["Das ist der 3. Platz für Luma."]),
        (
            "Im September folgte Ray 3. Dann kam der Erfolg.",
            ["Im September folgte Ray 3.", "Dann kam der Erfolg."],
        ),
        (
            "Er landete auf Platz 3. Am 3. Spieltag gewann er.",
            ["Er landete auf Platz 3.", "Am 3. Spieltag gewann er."],
        ),
    ],
)
def test_sentence_splitting(text, expected):
    assert sentences(text) == expected


def test_sample_article_sentences():
    sents = [s.strip() for s in sentences(SAMPLE)]
    assert (
        sents[0]
        == "US-Firma Luma: „DeepSeek ist das Beste, was der westlichen KI-Welt passieren konnte“"
    )
    assert "Rechenzentrum in Saudi-Arabien" in sents
    assert "Größte Konkurrenz in China" in sents
    assert (
        "Lesen Sie auch: „Wir brauchen mehr Kapital, als Europa derzeit bereitstellen kann“"
        in sents
    )
    assert not [s for s in sents if s and s[0].islower()]
    # every line of the article ends a sentence
    for line in SAMPLE.splitlines():
        if line.strip():
            assert line.strip().endswith(tuple(s[-12:] for s in sents if s)), line[-40:]


def test_corpus_article_lines_end_sentences():
    """A real news article: headline and paragraphs never run into each other."""
    text = corpus_article("xglue-nc-dev-0000")
    doc = load_nlp()(text)
    starts = {s.start_char for s in doc.sents}
    assert 0 in starts
    for position, char in enumerate(text):
        if char == "\n" and position + 1 < len(text) and not text[position + 1].isspace():
            assert position + 1 in starts
    assert len(list(doc.sents)) >= 10


def test_entity_labels_are_the_documented_ones():
    labels = {e.label_ for e in load_nlp()(SAMPLE).ents}
    assert labels <= set(ENTITY_LABELS)
    assert {"ORG", "PRODUCT", "LOC", "MONEY", "DATE"} <= labels


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Neben Googles Modell Veo und Sora von OpenAI.",
            [("Googles", "ORG"), ("Veo", "PRODUCT"), ("Sora", "PRODUCT"), ("OpenAI", "ORG")],
        ),
        (
            "Mit Ray 2 brachte Luma im Februar 2025 ein Modell heraus.",
            [("Ray 2", "PRODUCT"), ("Luma", "ORG"), ("Februar 2025", "DATE")],
        ),
        ("Im September folgte Ray 3.", [("September", "DATE"), ("Ray 3", "PRODUCT")]),
        ("Am 3. Oktober kam Ray 3 heraus.", [("3. Oktober", "DATE"), ("Ray 3", "PRODUCT")]),
        (
            "Anfang 2024 bewertet mit vier Milliarden Dollar.",
            [("Anfang 2024", "DATE"), ("vier Milliarden Dollar", "MONEY")],
        ),
        (
            "Am 1. Februar 2025 zahlte die Siemens AG 70 Millionen US-Dollar.",
            [
                ("1. Februar 2025", "DATE"),
                ("Siemens AG", "ORG"),
                ("70 Millionen US-Dollar", "MONEY"),
            ],
        ),
        ("Das Unternehmen hat 2000 Mitarbeiter.", []),
        ("Das DeepSeek-Sprachmodell sprang im Januar nach oben.", [("Januar", "DATE")]),
        (
            "Im Halbfinale der Europa League in New York.",
            [("Europa League", "ORG"), ("New York", "LOC")],
        ),
        ("Der Motor erfüllt die Abgasnorm Euro 6d.", []),
        ("Kinder spielen im Park.", []),
    ],
)
def test_rules_find_kb_names_money_and_dates(text, expected):
    found = ents(text)
    for item in expected:
        assert item in found
    if not expected and model_name() == "blank:de":
        assert found == []


@pytest.mark.parametrize(
    ("text", "name", "found"),
    [
        ("Er ist ein Genie, sagt seine Mutter.", "Genie", False),
        ("Luma veröffentlichte das Modell „Genie“.", "Genie", True),
        ("Der Bayer lebt in München.", "Bayer", False),
        ("Die Bayer AG meldet Gewinne.", "Bayer AG", True),
        ("Einzig das US-Start-up Runway erzielt ähnliche Erfolge.", "Runway", True),
        ("Sie lief über den Runway in Paris.", "Runway", False),
    ],
)
def test_ambiguous_names_need_confirmation(text, name, found):
    """Without support from the statistical model (no model entities), only the context
    confirms an ambiguous name."""
    doc = _with_model_ents(text, [])
    names = [e.text for e in doc.ents if e.label_ in ("ORG", "PRODUCT")]
    assert (name in names) is found


def _with_model_ents(text: str, model_ents: list[tuple[str, str]]):
    """Run the pipeline's ruler + merge on a doc whose statistical entities are given,
    standing in for whatever model is installed."""
    nlp = load_nlp()
    doc = nlp.make_doc(text)
    spans = []
    for surface, label in model_ents:
        start = text.index(surface)
        spans.append(doc.char_span(start, start + len(surface), label=label))
    doc.ents = spans
    nlp.get_pipe("newslens_ruler")(doc)
    return merge_entities(doc, load_kb())


def test_precedence_kb_products_and_sure_orgs_overwrite_the_model():
    doc = _with_model_ents(
        "Luma arbeitete an Dream Machine und Sora, sagt Amit Jain in Berlin.",
        [
            ("Luma", "LOC"),
            ("Dream Machine", "MISC"),
            ("Sora", "PER"),
            ("Amit Jain", "PER"),
            ("Berlin", "LOC"),
        ],
    )
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Luma", "ORG"),
        ("Dream Machine", "PRODUCT"),
        ("Sora", "PRODUCT"),
        ("Amit Jain", "PER"),
        ("Berlin", "LOC"),
    ]
    assert doc.ents[0].kb_id_ == "luma" and doc.ents[3].kb_id_ == ""


def test_precedence_kb_beats_a_wrong_person_span_over_kb_names():
    doc = _with_model_ents(
        "Neben Googles Modell Veo spielt Sora mit.", [("Googles Modell Veo", "PER")]
    )
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Googles", "ORG"),
        ("Veo", "PRODUCT"),
        ("Sora", "PRODUCT"),
    ]


def test_precedence_model_keeps_longer_person_and_same_entity_spans():
    doc = _with_model_ents(
        "Harrison Ford traf die Deutsche Telekom AG und Acme Robotics.",
        [("Harrison Ford", "PER"), ("Deutsche Telekom AG", "ORG"), ("Acme Robotics", "ORG")],
    )
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Harrison Ford", "PER"),
        ("Deutsche Telekom AG", "ORG"),
        ("Acme Robotics", "ORG"),
    ]


def test_precedence_model_keeps_longer_proper_names():
    doc = _with_model_ents("Die Toronto Raptors gewannen.", [("Toronto Raptors", "ORG")])
    assert [(e.text, e.label_) for e in doc.ents] == [("Toronto Raptors", "ORG")]


def test_precedence_model_keeps_names_with_particles_and_partial_remainders():
    doc = _with_model_ents(
        "Sie gewann The Voice of Germany und Serie A Rebic traf.",
        [("The Voice of Germany", "MISC"), ("A Rebic", "PER")],
    )
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("The Voice of Germany", "MISC"),
        ("Serie A", "ORG"),
        ("Rebic", "PER"),
    ]


def test_precedence_kb_trims_a_wrong_model_span():
    doc = _with_model_ents("Die US-Firma Luma wächst.", [("US-Firma Luma", "ORG")])
    assert [(e.text, e.label_) for e in doc.ents] == [("Luma", "ORG")]


def test_model_confirms_ambiguous_name():
    doc = _with_model_ents("Bayer meldet Gewinne.", [("Bayer", "ORG")])
    assert [(e.text, e.label_, e.kb_id_) for e in doc.ents] == [("Bayer", "ORG", "bayer")]
