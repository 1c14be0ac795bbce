"""Money parsing (pipeline.money) and the MONEY patterns of the entity ruler."""

from __future__ import annotations

import pytest

from pipeline.money import parse_money, parse_number
from pipeline.nlp import load_nlp

CASES = [
    ("900 Millionen Dollar", 900e6, "USD"),
    ("vier Milliarden Dollar", 4e9, "USD"),
    ("4 Mrd. Euro", 4e9, "EUR"),
    ("70 Millionen US-Dollar", 70e6, "USD"),
    ("1,5 Mio. €", 1.5e6, "EUR"),
    ("$1.5bn", 1.5e9, "USD"),
    ("2,3 Billionen Yen", 2.3e12, "JPY"),
    ("300 Millionen Dollar", 300e6, "USD"),
    ("zwölf Millionen Euro", 12e6, "EUR"),
    ("zwanzig Milliarden Dollar", 20e9, "USD"),
    ("einundzwanzig Millionen Dollar", 21e6, "USD"),
    ("hundert Millionen Pfund", 100e6, "GBP"),
    ("zweihundert Millionen Euro", 200e6, "EUR"),
    ("eine Milliarde Euro", 1e9, "EUR"),
    ("einer Million Dollar", 1e6, "USD"),
    ("anderthalb Milliarden Euro", 1.5e9, "EUR"),
    ("900.000 Euro", 900e3, "EUR"),
    ("1.250.000 Euro", 1.25e6, "EUR"),
    ("20 Euro", 20.0, "EUR"),
    ("€ 20", 20.0, "EUR"),
    ("$1,500", 1500.0, "USD"),
    ("US$ 5 Mio.", 5e6, "USD"),
    ("3 Milliarden Schweizer Franken", 3e9, "CHF"),
    ("10 Mrd. Yuan", 10e9, "CNY"),
    ("2 Millionen Pfund Sterling", 2e6, "GBP"),
    ("40 Milliarden Riyal", 40e9, "SAR"),
    ("5 Tsd. Euro", 5e3, "EUR"),
    ("1,2 Bio. Euro", 1.2e12, "EUR"),
    ("rund 70 Millionen Dollar hatten Investoren", 70e6, "USD"),
    ("Das Start-up wurde mit vier Milliarden Dollar bewertet.", 4e9, "USD"),
]


@pytest.mark.parametrize(("text", "value", "currency"), CASES)
def test_parse_money(text, value, currency):
    parsed = parse_money(text)
    assert parsed is not None, text
    assert parsed[0] == pytest.approx(value)
    assert parsed[1] == currency


@pytest.mark.parametrize(
    "text",
    [
        "zehn Millionen",
        "vier Jahre später",
        "2017 heuerte er bei Apple an",
        "Dollar",
        "",
        "Euro-Zone",
    ],
)
def test_no_money_without_amount_and_currency(text):
    assert parse_money(text) is None


@pytest.mark.parametrize(
    ("word", "value"),
    [
        ("vier", 4),
        ("zwölf", 12),
        ("zwanzig", 20),
        ("siebenundvierzig", 47),
        ("hundert", 100),
        ("dreihundertzwölf", 312),
        ("tausend", 1000),
        ("eins", 1),
    ],
)
def test_number_words(word, value):
    assert parse_number(word) == value


def test_number_notation_german_and_english():
    assert parse_number("1,5") == 1.5
    assert parse_number("1.500") == 1500
    assert parse_number("1.500,25") == 1500.25
    assert parse_number("1,500.25") == 1500.25
    assert parse_number("1,500", english=True) == 1500


@pytest.mark.parametrize(("text", "value", "currency"), CASES[:-2])
def test_money_patterns_match_what_parse_money_reads(text, value, currency):
    """The ruler's MONEY span in a sentence covers the amount and parses to the same value."""
    doc = load_nlp()(f"Das Unternehmen nannte {text} als Summe.")
    money = [e for e in doc.ents if e.label_ == "MONEY"]
    assert len(money) == 1, [(e.text, e.label_) for e in doc.ents]
    assert parse_money(money[0].text) == pytest.approx((value, currency))


def test_money_and_dates_found_anywhere_in_a_long_text():
    """Patterns run in windows around anchors: amounts at the edges and close together."""
    filler = "Das Unternehmen wächst seit Jahren stetig und stellt neue Leute ein. " * 40
    text = (
        "4 Mrd. Euro bot Apple. " + filler + "Am 1. Februar 2025 kamen 70 Millionen US-Dollar "
        "und $1.5bn hinzu, im Januar 2,3 Billionen Yen. " + filler + "Zuletzt 900 Millionen Dollar"
    )
    doc = load_nlp()(text)
    found = [(e.text, e.label_) for e in doc.ents if e.label_ in ("MONEY", "DATE")]
    assert found == [
        ("4 Mrd. Euro", "MONEY"),
        ("1. Februar 2025", "DATE"),
        ("70 Millionen US-Dollar", "MONEY"),
        ("$1.5bn", "MONEY"),
        ("Januar", "DATE"),
        ("2,3 Billionen Yen", "MONEY"),
        ("900 Millionen Dollar", "MONEY"),
    ]
