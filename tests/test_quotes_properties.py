"""Property tests: whatever the quote marks do (unbalanced, nested, empty, at the edges, very
long), the quotes stage never crashes and every span it returns lies inside the text."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline import entities as entities_stage
from pipeline.nlp import load_nlp
from pipeline.quotes import extract_quotes
from pipeline.quotes.marks import find_marked_spans

MARKS = ["„", "“", "”", '"', "»", "«", "‚", "‘", "'", "’"]
WORDS = [
    "sagte",
    "sagt",
    "so",
    "erklärt",
    "Jain",
    "Amit",
    "Peter",
    "Müller",
    "der",
    "Gründer",
    "er",
    "sie",
    "sei",
    "habe",
    "laut",
    "zufolge",
    "dass",
    "Lesen",
    "Sie",
    "auch",
    "wir",
    "ist",
    "nicht",
    "Medien",
    "CEO",
    "said",
    "Smith",
    "Die",
    "Firma",
    "35-Jährige",
    "über",
]
PIECES = st.one_of(
    st.sampled_from(MARKS),
    st.sampled_from(WORDS),
    st.sampled_from([" ", " ", " ", ", ", ". ", ": ", "\n", "\n\n", "–", "-", "(", ")"]),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=4),
)
TEXTS = st.lists(PIECES, max_size=60).map("".join)


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def check_quotes(nlp, text: str):
    doc = nlp(text)
    found, canonical = entities_stage.extract_entities(doc)
    quotes = extract_quotes(doc, found, canonical)
    for q in quotes:
        assert 0 <= q.start < q.end <= len(doc.text)
        assert q.text == doc.text[q.start : q.end]
        assert q.kind in ("direct", "indirect")
        if q.speaker_start is not None:
            assert 0 <= q.speaker_start < q.speaker_end <= len(doc.text)
    return quotes


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=TEXTS)
def test_random_marks_never_crash_or_leave_the_text(nlp, text):
    check_quotes(nlp, text)


@given(text=TEXTS)
@settings(max_examples=300, deadline=None)
def test_marked_spans_are_ordered_disjoint_and_inside(text):
    spans = find_marked_spans(text)
    previous_end = -1
    for span in spans:
        assert 0 <= span.open_at < span.start < span.end <= len(text)
        assert span.start > previous_end
        assert text[span.start : span.end].strip() == text[span.start : span.end]
        if span.close_at is not None:
            assert span.end <= span.close_at < len(text)
        previous_end = span.end


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    words=st.lists(st.sampled_from(WORDS), min_size=1, max_size=12),
    opener=st.sampled_from(["„", "»", "«", '"', "“"]),
    lead=st.sampled_from(["", "Text davor. ", "Lesen Sie auch: "]),
)
def test_quotes_at_text_start_and_end(nlp, words, opener, lead):
    closer = {"„": "“", "»": "«", "«": "»", '"': '"', "“": "”"}[opener]
    content = " ".join(words)
    text = f"{lead}{opener}{content}{closer}"
    for q in check_quotes(nlp, text):
        if q.kind == "direct":
            assert q.text == content.strip()


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(inner=st.sampled_from(["", " ", "  ", "\u00a0"]), marks=st.sampled_from(["„“", "»«", '""']))
def test_empty_quotes_yield_nothing_empty(nlp, inner, marks):
    text = f"Er sagte {marks[0]}{inner}{marks[1]}, sagte Peter Müller. {marks[0]}{marks[1]}"
    assert all(q.text.strip() for q in check_quotes(nlp, text))


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(n=st.integers(min_value=200, max_value=2000), nested=st.booleans())
def test_very_long_quote(nlp, n, nested):
    body = " ".join(["Wir bauen ein Gehirn"] * (n // 4))
    if nested:
        body = f"{body} ‚Zitat im Zitat‘ {body}"
    text = f"„{body}.“, sagt Amit Jain. Danach ging er."
    quotes = [q for q in check_quotes(nlp, text) if q.kind == "direct"]
    assert len(quotes) == 1 and quotes[0].text == f"{body}."
    assert quotes[0].speaker == "Amit Jain"
