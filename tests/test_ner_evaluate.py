"""Tests for the German NER scorer (pipeline.ner.evaluate) and the shipped model."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pipeline.ner.corpora import normalize_tags, read_column_file
from pipeline.ner.evaluate import score_sequences, spans_from_tags, summarize

MODEL_DIR = Path(__file__).resolve().parents[1] / "models" / "de_newslens_ner"


def test_spans_iob2_and_iob1_agree():
    iob2 = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC"]
    iob1 = ["I-PER", "I-PER", "O", "I-LOC", "B-LOC", "I-LOC"]
    expected = {(0, 2, "PER"), (3, 4, "LOC"), (4, 6, "LOC")}
    assert spans_from_tags(iob2) == expected
    assert spans_from_tags(iob1) == expected
    assert normalize_tags(iob1) == iob2


def test_spans_type_change_and_stray_inside():
    # I- after another type starts a new entity; a final entity is closed
    assert spans_from_tags(["I-ORG", "I-LOC", "I-LOC"]) == {(0, 1, "ORG"), (1, 3, "LOC")}
    assert spans_from_tags(["O", "O"]) == set()


GERMEVAL_SAMPLE = (
    "#\thttp://example.org\t[2010-01-01]\n"
    "1\tAngela\tB-PER\tO\n"
    "2\tMerkel\tI-PER\tO\n"
    "3\tbesucht\tO\tO\n"
    "4\tdie\tO\tO\n"
    "5\tdeutsche\tB-LOCderiv\tO\n"
    "6\tFirma\tO\tO\n"
    "7\tSiemens\tB-ORG\tO\n"
    "8\tin\tO\tO\n"
    "9\tMünchen\tB-LOC\tO\n"
    "10\t.\tO\tO\n"
    "\n"
    "#\thttp://example.org\t[2010-01-01]\n"
    "1\tDer\tO\tO\n"
    "2\tTatort\tB-OTH\tO\n"
    "3\tläuft\tO\tO\n"
    "\n"
)

# IOB1 CoNLL-2003 style: token lemma POS chunk NE; "B-LOC" separates two adjacent LOCs
CONLL_SAMPLE = (
    "-DOCSTART- -X- -X- -X- O\n"
    "\n"
    "Frankfurt Frankfurt NE I-NC I-LOC\n"
    "Hessen Hessen NE I-NC B-LOC\n"
    "Helmut Helmut NE I-NC I-PER\n"
    "Kohl Kohl NE I-NC I-PER\n"
    "sprach sprechen VVFIN I-VC O\n"
    ". . $. O O\n"
    "\n"
)


def test_read_germeval_maps_labels(tmp_path):
    path = tmp_path / "ge.tsv"
    path.write_text(GERMEVAL_SAMPLE, encoding="utf-8")
    sents = read_column_file(path)  # auto-detected as germeval
    assert [s.tokens[:2] for s in sents] == [["Angela", "Merkel"], ["Der", "Tatort"]]
    # deriv -> O, OTH -> MISC
    assert sents[0].tags == ["B-PER", "I-PER", "O", "O", "O", "O", "B-ORG", "O", "B-LOC", "O"]
    assert sents[1].tags == ["O", "B-MISC", "O"]


def test_scorer_counts_on_germeval_file(tmp_path):
    path = tmp_path / "ge.tsv"
    path.write_text(GERMEVAL_SAMPLE, encoding="utf-8")
    gold = [s.tags for s in read_column_file(path, "germeval")]
    pred = [
        # PER correct, ORG predicted as LOC (fp LOC + fn ORG), LOC correct, extra PER on "Firma"
        ["B-PER", "I-PER", "O", "O", "O", "B-PER", "B-LOC", "O", "B-LOC", "O"],
        # MISC span too long -> fp + fn MISC
        ["O", "B-MISC", "I-MISC"],
    ]
    counts = score_sequences(gold, pred)
    assert counts["PER"] == Counter(tp=1, fp=1, fn=0)
    assert counts["ORG"] == Counter(tp=0, fp=0, fn=1)
    assert counts["LOC"] == Counter(tp=1, fp=1, fn=0)
    assert counts["MISC"] == Counter(tp=0, fp=1, fn=1)
    summ = summarize(counts)
    head = summ["HEADLINE"]  # PER/ORG/LOC only
    assert (head["tp"], head["fp"], head["fn"]) == (2, 2, 1)
    assert head["p"] == pytest.approx(0.5)
    assert head["r"] == pytest.approx(2 / 3)
    assert head["f"] == pytest.approx(2 * 0.5 * (2 / 3) / (0.5 + 2 / 3))
    assert summ["ALL"]["fn"] == 2


def test_scorer_iob1_conll_file(tmp_path):
    path = tmp_path / "testa.txt"
    path.write_text(CONLL_SAMPLE, encoding="utf-8")
    sents = read_column_file(path)  # auto-detected as conll (IOB1)
    assert len(sents) == 1
    assert spans_from_tags(sents[0].tags) == {(0, 1, "LOC"), (1, 2, "LOC"), (2, 4, "PER")}
    # a prediction that merges the two adjacent LOCs gets no LOC credit
    pred = [["B-LOC", "I-LOC", "B-PER", "I-PER", "O", "O"]]
    counts = score_sequences([sents[0].tags], pred)
    assert counts["LOC"] == Counter(tp=0, fp=1, fn=2)
    assert counts["PER"] == Counter(tp=1, fp=0, fn=0)
    # explicit format gives the same result
    assert read_column_file(path, "conll-iob1")[0].tags == sents[0].tags


@pytest.mark.skipif(not (MODEL_DIR / "meta.json").exists(), reason="shipped model not present")
def test_shipped_model_finds_obvious_entities():
    spacy = pytest.importorskip("spacy")
    nlp = spacy.load(MODEL_DIR)
    assert "ner" in nlp.pipe_names
    assert set(nlp.get_pipe("ner").labels) >= {"PER", "ORG", "LOC"}
    doc = nlp("Angela Merkel besuchte am Montag Siemens in München.")
    ents = {(e.text, e.label_) for e in doc.ents}
    assert ("Angela Merkel", "PER") in ents
    assert ("München", "LOC") in ents
    assert ("Siemens", "ORG") in ents
    doc = nlp("Der Vorstand der Deutschen Bank traf sich in Frankfurt mit Olaf Scholz.")
    labels = {e.text: e.label_ for e in doc.ents}
    assert labels.get("Frankfurt") == "LOC"
    assert labels.get("Olaf Scholz") == "PER"
