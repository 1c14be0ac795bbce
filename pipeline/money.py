"""Money amounts: ``parse_money("900 Millionen Dollar") -> (900e6, "USD")``.

Handles digits in German and English notation ("1,5", "1.500", "$1.5bn"), German number
words ("vier", "zwölf", "einundzwanzig", "zweihundert"), scale words ("Mio.", "Milliarden",
"Billionen" = 10^12, "bn" = 10^9) and currency names or symbols before or after the number.
Number words, scales and currencies come from ``pipeline/data/patterns/money.yaml``; the
same data builds the MONEY patterns of the entity ruler (see :func:`money_token_patterns`).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.kb import read_yaml

MONEY_DATA = Path(__file__).resolve().parent / "data" / "patterns" / "money.yaml"

_THOUSANDS_DOT = re.compile(r"^\d{1,3}(?:\.\d{3})+$")  # German 1.500.000
_THOUSANDS_COMMA = re.compile(r"^\d{1,3}(?:,\d{3})+$")  # English 1,500,000


@dataclass(frozen=True)
class MoneyVocabulary:
    """Everything parse_money needs, compiled once from the data file."""

    number_words: dict[str, float]  # lower-case word -> value, 1..999 and fractions
    scales: dict[str, float]  # scale word as written -> factor
    currencies: dict[str, str]  # currency name or symbol as written -> ISO code
    pattern: re.Pattern


def _alternation(words) -> str:
    # longest first so "US-Dollar" wins over "Dollar" and "Mio." over "Mio"
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


def _number_words(data: dict) -> dict[str, float]:
    """All German number words 1..999 (plus fractions) built from units, teens and tens."""
    simple_units = dict(data["units"])
    below_hundred: dict[str, int] = dict(simple_units)
    below_hundred.update(dict.fromkeys(data["one_forms"], 1))
    below_hundred.update(data["teens"])
    for ten_word, ten in data["tens"].items():
        below_hundred[ten_word] = ten
        for unit_word, unit in simple_units.items():
            below_hundred[f"{unit_word}und{ten_word}"] = ten + unit
    words: dict[str, float] = dict(below_hundred)
    hundred = data["hundred"]
    words[hundred] = 100
    for prefix, value in simple_units.items():
        words[f"{prefix}{hundred}"] = value * 100
        for rest, rest_value in below_hundred.items():
            words[f"{prefix}{hundred}{rest}"] = value * 100 + rest_value
    for rest, rest_value in below_hundred.items():
        words[f"{hundred}{rest}"] = 100 + rest_value
    words[data["thousand"]] = 1000
    words.update({w: float(v) for w, v in data["fractions"].items()})
    return {w: float(v) for w, v in words.items()}


@functools.lru_cache(maxsize=1)
def vocabulary() -> MoneyVocabulary:
    data = read_yaml(MONEY_DATA)
    number_words = _number_words(data)
    scales = {str(k): float(v) for k, v in data["scales"].items()}
    currencies = {str(name): iso for iso, names in data["currencies"].items() for name in names}
    currency = _alternation(currencies)
    scale = _alternation(scales)
    # A number: digits with separators, or a (German) number word.
    number = r"\d+(?:[.,]\d+)*|[A-Za-zÄÖÜäöüß]+"
    pattern = re.compile(
        rf"(?<![\w$€£¥])(?:(?P<pre>{currency})\s?)?(?P<num>{number})"
        rf"(?:\s?(?P<scale>{scale}))?(?!\w)"  # "6d" is no amount, "1.5bn" is
        rf"(?:\s?(?P<post>{currency})(?!\w))?"
    )
    return MoneyVocabulary(number_words, scales, currencies, pattern)


def parse_number(text: str, *, english: bool = False) -> float | None:
    """A number in digits (German or English separators) or a German number word."""
    text = text.strip()
    if not text:
        return None
    if text[0].isdigit():
        if "." in text and "," in text:
            decimal = "," if text.rfind(",") > text.rfind(".") else "."
            thousands = "." if decimal == "," else ","
            text = text.replace(thousands, "").replace(decimal, ".")
        elif "," in text:
            if english and _THOUSANDS_COMMA.match(text):
                text = text.replace(",", "")
            else:
                text = text.replace(",", ".")
        elif "." in text and _THOUSANDS_DOT.match(text) and not english:
            text = text.replace(".", "")
        try:
            return float(text)
        except ValueError:
            return None
    return vocabulary().number_words.get(text.lower())


def _split_suffix_scale(num: str, scales: dict[str, float]) -> tuple[str, float | None]:
    """ "1.5bn" -> ("1.5", 1e9): English amounts glue the scale to the number."""
    match = re.match(r"^(\d+(?:[.,]\d+)*)([A-Za-z]+)$", num)
    if match and match.group(2) in scales:
        return match.group(1), scales[match.group(2)]
    return num, None


def parse_money(text: str) -> tuple[float, str] | None:
    """The first money amount in ``text`` as (value, ISO currency), or None.

    An amount needs a currency: "zehn Millionen" alone is not money.
    """
    vocab = vocabulary()
    for match in vocab.pattern.finditer(text):
        pre, num, scale, post = match.group("pre", "num", "scale", "post")
        if not (pre or post):
            continue
        num, glued_scale = _split_suffix_scale(num, vocab.scales)
        # a currency symbol in front ("$1,500") signals English number notation
        value = parse_number(num, english=bool(pre) and not post)
        if value is None:
            continue
        factor = glued_scale or (vocab.scales[scale] if scale else 1.0)
        return value * factor, vocab.currencies[pre or post]
    return None


def money_token_patterns() -> list[list[dict]]:
    """spaCy Matcher patterns for MONEY spans, built from the same data as parse_money."""
    vocab = vocabulary()
    word_numbers = sorted(vocab.number_words)
    single_token_currencies = sorted(c for c in vocab.currencies if " " not in c)
    multi_token_currencies = sorted(c for c in vocab.currencies if " " in c)
    # lexical attributes (LIKE_NUM, SHAPE) are cached per word; REGEX predicates would run
    # on every token
    number = [{"LIKE_NUM": True}, {"LOWER": {"IN": word_numbers}}]
    glued_shapes = sorted(
        digits + sep + "d" * decimals + "x" * letters
        for digits in ("d", "dd", "ddd")
        for sep, decimals in (("", 0), (".", 1), (",", 1), (".", 2), (",", 2))
        for letters in (1, 2)
    )
    glued = {"SHAPE": {"IN": glued_shapes}}
    scale = {"ORTH": {"IN": sorted(vocab.scales)}, "OP": "?"}
    currency = {"ORTH": {"IN": single_token_currencies}}
    # a scale glued to the number ("$1.5bn") only follows a currency symbol
    symbol = {"ORTH": {"IN": sorted(c for c in single_token_currencies if not c[-1].isalpha())}}
    # two-word currencies ("Schweizer Franken") as one pattern: every extra pattern costs
    # matcher states at each number token
    first_words = sorted({c.split()[0] for c in multi_token_currencies})
    second_words = sorted({c.split()[1] for c in multi_token_currencies})
    two_words = [{"ORTH": {"IN": first_words}}, {"ORTH": {"IN": second_words}}]
    patterns: list[list[dict]] = []
    for num in number:
        patterns.append([num, scale, currency])
        patterns.append([num, scale, *two_words])
        patterns.append([currency, num, scale])
    patterns.append([symbol, glued])
    return patterns
