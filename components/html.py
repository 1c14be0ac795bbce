"""The only place that builds HTML for the page; every article-derived string is escaped here.

Article text, titles, file names, speakers and translations are untrusted: they go through
``esc`` (``html.escape`` with quotes) before they touch markup, and through ``md_escape``
before they reach a Streamlit label that interprets Markdown. The components pass only the
strings built here to ``st.html``.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence

LABEL_COLOURS = {
    # label: (background, border) — light fills keep the text readable, borders tell apart
    "PER": ("#fde2e4", "#e11d48"),
    "ORG": ("#dbeafe", "#2563eb"),
    "LOC": ("#dcfce7", "#16a34a"),
    "MISC": ("#ede9fe", "#7c3aed"),
    "PRODUCT": ("#fef3c7", "#d97706"),
    "MONEY": ("#ccfbf1", "#0d9488"),
    "DATE": ("#e5e7eb", "#4b5563"),
}
FALLBACK_COLOUR = ("#f3f4f6", "#9ca3af")
LABEL_NAMES = {
    "PER": "person",
    "ORG": "organisation",
    "LOC": "place",
    "MISC": "other",
    "PRODUCT": "product",
    "MONEY": "money",
    "DATE": "date",
}

_LABEL_CLASS = re.compile(r"[^A-Za-z0-9_-]")


def esc(text: object) -> str:
    """Escape for HTML text and attribute values (``&``, ``<``, ``>``, ``"``, ``'``)."""
    return html.escape("" if text is None else str(text), quote=True)


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=^])")


def md_escape(text: object) -> str:
    """Backslash-escape Markdown (and Streamlit's ``:colour[...]``/LaTeX) for widget labels."""
    flat = " ".join(("" if text is None else str(text)).split())
    return _MD_SPECIAL.sub(r"\\\1", flat)


def _label_class(label: str) -> str:
    return "nl-" + _LABEL_CLASS.sub("", label)


def stylesheet() -> str:
    """The page's CSS (no article data in it)."""
    rules = [
        f".nl-{label}{{background:{bg};border-bottom:2px solid {border};}}"
        f".nl-chip.nl-{label}{{border:1px solid {border};}}"
        for label, (bg, border) in LABEL_COLOURS.items()
    ]
    return (
        "<style>"
        '[data-testid="stMainBlockContainer"]{padding-top:2.5rem;}'
        ".nl-article{font-family:Georgia,'Times New Roman',serif;font-size:1.05rem;"
        "line-height:1.7;max-width:52rem;}"
        ".nl-article p{margin:0 0 .85rem 0;}"
        ".nl-article p:first-child{font-size:1.25rem;font-weight:700;line-height:1.35;}"
        "mark.nl-ent{padding:0 .15em;border-radius:.2em;color:inherit;}"
        "mark.nl-ent[data-label]::after{content:attr(data-label);font:600 .6rem/1 sans-serif;"
        "margin-left:.25em;opacity:.65;vertical-align:super;}"
        f"mark.nl-ent{{background:{FALLBACK_COLOUR[0]};}}"
        ".nl-focus{background:#fde68a;box-shadow:0 2px 0 #d97706;}"
        ".nl-legend{display:flex;flex-wrap:wrap;gap:.35rem;margin:.25rem 0 .75rem 0;}"
        ".nl-chip{font:600 .78rem/1.6 sans-serif;padding:0 .5em;border-radius:1em;}"
        ".nl-chip small{font-weight:400;opacity:.7;margin-left:.3em;}"
        ".nl-header{border-bottom:3px solid #111827;padding:.2rem 0 .6rem 0;margin-bottom:.6rem;}"
        ".nl-kicker{font:700 .72rem/1.2 sans-serif;letter-spacing:.12em;text-transform:uppercase;"
        "color:#b91c1c;}"
        ".nl-title{font-family:Georgia,serif;font-size:1.7rem;font-weight:700;line-height:1.25;"
        "margin:.2rem 0 .35rem 0;color:#111827;}"
        ".nl-meta{font:.82rem/1.4 sans-serif;color:#4b5563;display:flex;flex-wrap:wrap;gap:1rem;}"
        ".nl-meta b{color:#111827;font-weight:600;}"
        ".nl-sbs{width:100%;border-collapse:collapse;font-size:.97rem;line-height:1.55;}"
        ".nl-sbs th{text-align:left;font:700 .75rem sans-serif;text-transform:uppercase;"
        "letter-spacing:.08em;color:#6b7280;border-bottom:2px solid #111827;padding:.3rem;}"
        ".nl-sbs td{vertical-align:top;padding:.45rem .5rem;border-bottom:1px solid #e5e7eb;"
        "width:50%;}"
        ".nl-sbs td.nl-de{font-family:Georgia,serif;}"
        ".nl-sbs td.nl-missing{color:#9ca3af;font-style:italic;}"
        ".nl-quote{border-left:4px solid #111827;padding:.35rem .7rem;margin:.3rem 0 0 0;"
        "background:#f9fafb;}"
        ".nl-q-pair{display:grid;grid-template-columns:1fr 1fr;gap:.8rem;}"
        ".nl-quote .nl-q-de{font-family:Georgia,serif;font-size:1rem;}"
        ".nl-quote .nl-q-en{color:#374151;font-size:.92rem;border-left:1px solid #d1d5db;"
        "padding-left:.7rem;}"
        ".nl-quote .nl-q-meta{font:.72rem sans-serif;color:#6b7280;margin-top:.3rem;}"
        ".nl-speaker{font:600 .95rem sans-serif;margin:.7rem 0 .1rem 0;color:#111827;}"
        ".nl-speaker small{font-weight:400;color:#6b7280;}"
        ".nl-badge{font:700 .65rem/1.5 sans-serif;text-transform:uppercase;padding:0 .45em;"
        "border-radius:.3em;background:#111827;color:#fff;margin-right:.4em;}"
        ".nl-badge.nl-indirect{background:#6b7280;}" + "".join(rules) + "</style>"
    )


# --------------------------------------------------------------------------- spans


def _non_overlapping(entities: Iterable) -> list:
    """Longest-first, then leftmost, like spaCy's filter_spans; sorted by start."""
    chosen: list = []
    taken: list[tuple[int, int]] = []  # sorted, disjoint
    for ent in sorted(entities, key=lambda e: (-(e.end - e.start), e.start)):
        if ent.end <= ent.start:
            continue
        i = bisect_right(taken, (ent.start, float("inf")))
        if i and taken[i - 1][1] > ent.start:
            continue
        if i < len(taken) and taken[i][0] < ent.end:
            continue
        taken.insert(i, (ent.start, ent.end))
        chosen.append(ent)
    return sorted(chosen, key=lambda e: e.start)


def merge_spans(spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted, merged (start, end) spans."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted((int(s), int(e)) for s, e in spans if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class Annotator:
    """Renders ranges of one text with entity marks and focus highlights.

    Built once per article render; each range costs O(length + marks in it) thanks to
    bisecting the sorted, disjoint span lists.
    """

    def __init__(
        self,
        text: str,
        entities: Iterable = (),
        *,
        labels: Iterable[str] | None = None,
        focus: Iterable[tuple[int, int]] = (),
    ) -> None:
        wanted = None if labels is None else set(labels)
        self.text = text
        self.entities = _non_overlapping(e for e in entities if wanted is None or e.label in wanted)
        self._ent_starts = [e.start for e in self.entities]
        self._ent_ends = [e.end for e in self.entities]
        self.focus = merge_spans(focus)
        self._focus_starts = [s for s, _ in self.focus]
        self._focus_ends = [e for _, e in self.focus]

    def inline(self, lo: int, hi: int) -> str:
        """Escaped HTML of ``text[lo:hi]`` with marks; no block elements."""
        lo, hi = max(0, lo), min(len(self.text), hi)
        if hi <= lo:
            return ""
        ents = self.entities[bisect_right(self._ent_ends, lo) : bisect_left(self._ent_starts, hi)]
        focus = self.focus[bisect_right(self._focus_ends, lo) : bisect_left(self._focus_starts, hi)]
        cuts = {lo, hi}
        for e in ents:
            cuts.update((max(lo, e.start), min(hi, e.end)))
        for s, e in focus:
            cuts.update((max(lo, s), min(hi, e)))
        points = sorted(cuts)
        out: list[str] = []
        ei = fi = 0
        open_ent = None
        for a, b in zip(points, points[1:], strict=False):
            while ei < len(ents) and ents[ei].end <= a:
                ei += 1
            ent = ents[ei] if ei < len(ents) and ents[ei].start <= a else None
            while fi < len(focus) and focus[fi][1] <= a:
                fi += 1
            in_focus = fi < len(focus) and focus[fi][0] <= a
            if ent is not open_ent:
                if open_ent is not None:
                    out.append("</mark>")
                if ent is not None:
                    out.append(self._open_mark(ent))
                open_ent = ent
            piece = esc(self.text[a:b])
            out.append(f'<span class="nl-focus">{piece}</span>' if in_focus else piece)
        if open_ent is not None:
            out.append("</mark>")
        return "".join(out)

    @staticmethod
    def _open_mark(ent) -> str:
        canonical = getattr(ent, "canonical", "") or ent.text
        title = f"{ent.label} · {canonical}"
        return (
            f'<mark class="nl-ent {_label_class(ent.label)}" data-label="{esc(ent.label)}" '
            f'title="{esc(title)}">'
        )


_PARAGRAPH = re.compile(r"[^\n]+")


def article_html(
    text: str,
    entities: Iterable = (),
    *,
    labels: Iterable[str] | None = None,
    focus: Iterable[tuple[int, int]] = (),
) -> str:
    """The article as escaped paragraphs with entity marks and focus highlights."""
    annotator = Annotator(text, entities, labels=labels, focus=focus)
    paragraphs = [
        f"<p>{annotator.inline(m.start(), m.end())}</p>"
        for m in _PARAGRAPH.finditer(text)
        if m.group().strip()
    ]
    return f'<div class="nl-article">{"".join(paragraphs)}</div>'


def side_by_side_html(
    text: str,
    pairs: Sequence,
    entities: Iterable = (),
    *,
    labels: Iterable[str] | None = None,
    focus: Iterable[tuple[int, int]] = (),
    source_heading: str = "Original",
    target_heading: str = "English",
) -> str:
    """Original and translation as a two-column table, one row per sentence."""
    annotator = Annotator(text, entities, labels=labels, focus=focus)
    rows = []
    for pair in pairs:
        if 0 <= pair.start < pair.end <= len(text):
            left = annotator.inline(pair.start, pair.end)
        else:
            left = esc(pair.source)
        if pair.target is None:
            right = '<td class="nl-missing">not translated</td>'
        else:
            right = f"<td>{esc(pair.target)}</td>"
        rows.append(f'<tr><td class="nl-de">{left}</td>{right}</tr>')
    return (
        '<table class="nl-sbs"><thead><tr>'
        f"<th>{esc(source_heading)}</th><th>{esc(target_heading)}</th>"
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def legend_html(counts: dict[str, int]) -> str:
    """Colour chips per label with their mention counts."""
    chips = [
        f'<span class="nl-chip {_label_class(label)}" title="{esc(LABEL_NAMES.get(label, label))}">'
        f"{esc(label)}<small>{int(n)}</small></span>"
        for label, n in counts.items()
    ]
    return f'<div class="nl-legend">{"".join(chips)}</div>'


def header_html(title: str, facts: Sequence[tuple[str, str]], kicker: str = "NewsLens") -> str:
    """Headline block: kicker, article title, a row of ``label: value`` facts."""
    meta = "".join(f"<span>{esc(k)}: <b>{esc(v)}</b></span>" for k, v in facts)
    return (
        f'<div class="nl-header"><div class="nl-kicker">{esc(kicker)}</div>'
        f'<div class="nl-title">{esc(title)}</div><div class="nl-meta">{meta}</div></div>'
    )


def quote_html(quote) -> str:
    """One quote card: original, translation (if any), kind badge and cue."""
    kind = quote.kind if quote.kind in ("direct", "indirect") else "direct"
    original = f'<div class="nl-q-de">{esc(quote.text)}</div>'
    body = (
        f'<div class="nl-q-pair">{original}<div class="nl-q-en">{esc(quote.translation)}</div></div>'
        if quote.translation
        else original
    )
    cue = f" · cue: <b>{esc(quote.cue)}</b>" if quote.cue else ""
    return (
        f'<div class="nl-quote">{body}'
        f'<div class="nl-q-meta"><span class="nl-badge nl-{kind}">{esc(kind)}</span>'
        f"chars {int(quote.start)}–{int(quote.end)}{cue}</div></div>"
    )
