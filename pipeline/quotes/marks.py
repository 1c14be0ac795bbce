"""Pairs quotation marks in every convention German and English news use.

„…“ and „…" (German), »…« and «…» (guillemets both ways), "…" (straight), “…” (English).
Single marks (‚…‘, '…') only nest inside a double-quoted span and stay part of its content:
at top level they are apostrophes far more often than quotes ("Let's Dance", "Denis'").

Each paragraph is scanned once, left to right (linear time). A quote left open at the end of a
paragraph counts only when the next paragraph opens with the same mark (the convention for a
quote running over several paragraphs); anything else unbalanced is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# opening mark -> marks that close it
CLOSERS = {
    "„": '“"”',
    "»": "«",
    "«": "»",
    "“": '”“"',
    '"': '"“”',
}
_MARK = re.compile('[„“”"«»]')


@dataclass(frozen=True)
class MarkedSpan:
    """The content between an opening and a closing mark (whitespace trimmed)."""

    start: int
    end: int
    open_at: int  # index of the opening mark
    close_at: int | None  # index of the closing mark; None when the quote runs on
    mark: str


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _opens(text: str, i: int) -> bool:
    """Whether the mark at i can open a quote (a straight or English mark needs text after it)."""
    ch = text[i]
    if ch == "”":
        return False
    if ch in '"“':
        return i + 1 < len(text) and not text[i + 1].isspace()
    return True


def _paragraphs(text: str):
    start = 0
    for match in re.finditer(r"\n", text):
        yield start, match.start()
        start = match.end()
    yield start, len(text)


def find_marked_spans(text: str) -> list[MarkedSpan]:
    """All balanced double-quoted spans of the text, in order, never overlapping."""
    spans: list[MarkedSpan] = []
    paragraphs = [(s, e) for s, e in _paragraphs(text) if text[s:e].strip()]
    for index, (p_start, p_end) in enumerate(paragraphs):
        open_at: int | None = None
        for match in _MARK.finditer(text, p_start, p_end):
            i = match.start()
            ch = text[i]
            if open_at is None:
                if _opens(text, i):
                    open_at = i
                continue
            opener = text[open_at]
            if ch in CLOSERS[opener]:
                after_space = i > 0 and text[i - 1].isspace()
                before_word = i + 1 < p_end and text[i + 1].isalnum()
                if ch == '"' and after_space and before_word:
                    open_at = i  # an opening mark: the previous one was never closed
                    continue
                start, end = _trimmed(text, open_at + 1, i)
                if end > start:
                    spans.append(MarkedSpan(start, end, open_at, i, opener))
                open_at = None
            elif ch == opener and ch in "„»«":
                open_at = i  # the same opener again: the previous one was never closed
        if open_at is not None and index + 1 < len(paragraphs):
            n_start, n_end = paragraphs[index + 1]
            first = text[n_start:n_end].lstrip()[:1]
            if first == text[open_at]:
                start, end = _trimmed(text, open_at + 1, p_end)
                if end > start:
                    spans.append(MarkedSpan(start, end, open_at, None, text[open_at]))
    return spans
