"""The data model's JSON round trip on a real analysis of the sample article."""

from __future__ import annotations

import json

from pipeline import analyze
from pipeline.model import (
    Analysis,
    CanonicalEntity,
    Company,
    Document,
    Entity,
    Figure,
    Quote,
    SentencePair,
    Translation,
)


def test_round_trip_of_real_analysis(sample_text):
    analysis = analyze(sample_text)
    data = json.loads(json.dumps(analysis.to_dict(), ensure_ascii=False))
    again = Analysis.from_dict(data)
    assert again == analysis
    assert again.to_dict() == analysis.to_dict()
    assert analysis.sentences and all(0 <= s < e <= len(sample_text) for s, e in analysis.sentences)


def test_round_trip_of_every_field():
    text = "Luma-Gründer Amit Jain sagt: „Wir wachsen.“ Luma ist 4 Mrd. Dollar wert."
    analysis = Analysis(
        document=Document(text=text, source="x.txt", format="txt", title="T", notices=["n"]),
        sentences=[(0, 43), (44, len(text))],
        entities=[
            Entity("Amit Jain", "PER", 13, 22, "Amit Jain"),
            Entity("Luma", "ORG", 0, 4, "Luma", "compound"),
        ],
        canonical_entities=[
            CanonicalEntity("Amit Jain", "PER", [(13, 22)]),
            CanonicalEntity("Luma", "ORG", [(0, 4), (44, 48)], "luma", "US"),
        ],
        quotes=[Quote("Wir wachsen.", 29, 41, "direct", "Amit Jain", 13, 22, "sagt", "We grow.")],
        companies=[
            Company(
                "Luma",
                "subject",
                "US",
                ["Ray 3"],
                2,
                [0, 44],
                [
                    Figure(
                        "4 Mrd. Dollar",
                        4e9,
                        "USD",
                        "valuation",
                        53,
                        66,
                        "Luma",
                        "Luma ist 4 Mrd. Dollar wert.",
                    )
                ],
                "Luma ist ...",
                "luma",
            )
        ],
        translation=Translation(
            "libre",
            text="We grow.",
            sentences=[SentencePair("a", "b", 0, 1), SentencePair("c", None)],
            error="partial",
            partial=True,
        ),
        model="test",
        timings={"nlp": 0.1},
    )
    data = json.loads(json.dumps(analysis.to_dict()))
    assert Analysis.from_dict(data) == analysis
    assert data["canonical_entities"][1]["count"] == 2
    assert data["companies"][0]["figures"][0]["value"] == 4e9


def test_doc_id_is_content_hash():
    assert (
        Document("abc").doc_id == Document("abc", source="other").doc_id != Document("abd").doc_id
    )
