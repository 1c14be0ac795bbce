"""components/html.py: article-derived text can never become markup, and highlighting
keeps the text intact (every character once, marks exactly on the entity spans)."""

from __future__ import annotations

import html
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from components.html import (
    article_html,
    header_html,
    legend_html,
    md_escape,
    quote_html,
    side_by_side_html,
)
from pipeline.model import Entity, Quote, SentencePair

HOSTILE = (
    "Überschrift <script>window.__pwned=1</script>\n"
    'Ein Bild <img src=x onerror="window.__pwned=1"> und ein [Link](javascript:alert(1)).\n'
    '<a href="javascript:alert(1)">klick</a> **fett** und :red[rot] und $x^2$\n'
    "# Überschrift\n"
    "> Zitat\n"
    '" onmouseover="alert(1)" \' & </p></div><style>body{display:none}</style>'
)
ALLOWED_TAGS = {
    "div",
    "p",
    "mark",
    "span",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "b",
    "small",
}
ALLOWED_ATTRS = {"class", "title", "data-label"}


class TagCollector(HTMLParser):
    """Collects every start tag with its attributes and all text, as a browser would parse."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.open_marks: list[str] = []
        self.marks: list[tuple[str, str]] = []  # (title, text inside)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "mark":
            self.open_marks.append((dict(attrs).get("title") or "", []))

    def handle_endtag(self, tag):
        if tag == "mark" and self.open_marks:
            title, parts = self.open_marks.pop()
            self.marks.append((title, "".join(parts)))

    def handle_data(self, data):
        self.text.append(data)
        for _, parts in self.open_marks:
            parts.append(data)


def parse(markup: str) -> TagCollector:
    collector = TagCollector()
    collector.feed(markup)
    collector.close()
    return collector


def entity_at(text: str, needle: str, label: str, canonical: str | None = None) -> Entity:
    start = text.index(needle)
    return Entity(needle, label, start, start + len(needle), canonical or needle)


def assert_inert(markup: str) -> TagCollector:
    parsed = parse(markup)
    for tag, attrs in parsed.tags:
        assert tag in ALLOWED_TAGS, tag
        assert set(attrs) <= ALLOWED_ATTRS, attrs  # no href/src/on*: nothing can run
    assert "<script" not in markup.lower()
    assert "<img" not in markup.lower()
    assert "<style" not in markup.lower()
    assert "<a " not in markup.lower()
    return parsed


def test_hostile_article_text_stays_text():
    entities = [
        entity_at(HOSTILE, "script", "MISC", 'x" onmouseover="alert(1)'),
        entity_at(HOSTILE, "Link", "ORG", "<b>bold</b>"),
        entity_at(HOSTILE, "fett", "PER"),
    ]
    markup = article_html(HOSTILE, entities, focus=[(HOSTILE.index("<img"), HOSTILE.index("und"))])
    parsed = assert_inert(markup)
    # Everything the reader sees is the original text, line by line.
    lines = [line for line in HOSTILE.split("\n") if line.strip()]
    paragraphs = parsed.tags.count(("p", {}))
    assert paragraphs == len(lines)
    assert "".join(parsed.text) == "".join(lines)
    # The hostile canonical names are inside the title attribute, not new attributes.
    titles = {title for title, _ in parsed.marks}
    assert 'MISC · x" onmouseover="alert(1)' in titles
    assert "ORG · <b>bold</b>" in titles
    assert "&lt;/script&gt;" in markup


def test_marks_cover_exactly_the_entities_and_respect_the_label_filter(sample_text):
    names = [("Amit Jain", "PER"), ("OpenAI", "ORG"), ("Saudi-Arabien", "LOC")]
    entities = []
    for name, label in names:
        start = 0
        while (start := sample_text.find(name, start)) >= 0:
            entities.append(Entity(name, label, start, start + len(name), name))
            start += len(name)
    parsed = parse(article_html(sample_text, entities))
    assert sorted(text for _, text in parsed.marks) == sorted(e.text for e in entities)
    only_people = parse(article_html(sample_text, entities, labels=["PER"]))
    assert {t for _, t in only_people.marks} == {"Amit Jain"}
    assert len(only_people.marks) == sum(e.label == "PER" for e in entities)


def test_overlapping_entities_keep_the_longest_and_text_once():
    text = "Amit Jain gründete Luma AI in Palo Alto."
    entities = [
        entity_at(text, "Amit Jain", "PER"),
        entity_at(text, "Jain", "PER"),
        entity_at(text, "Luma", "ORG"),
        entity_at(text, "Luma AI", "ORG"),
    ]
    parsed = parse(article_html(text, entities))
    assert [m[1] for m in parsed.marks] == ["Amit Jain", "Luma AI"]
    assert "".join(parsed.text) == text


def test_focus_marks_the_span_even_across_entities():
    text = "„Das Modell war gut“, sagt Amit Jain über Luma."
    quote_end = text.index("“") + 1
    entities = [entity_at(text, "Amit Jain", "PER"), entity_at(text, "Modell", "MISC")]
    markup = article_html(text, entities, focus=[(0, quote_end)])
    focused = markup.split('<span class="nl-focus">')[1:]
    shown = "".join(html.unescape(part.split("</span>")[0]) for part in focused)
    assert shown == text[:quote_end]


def test_side_by_side_escapes_both_columns_and_marks_missing_sentences():
    first = HOSTILE.split("\n")[0]
    pairs = [
        SentencePair(first, "<script>alert(1)</script> headline", 0, len(first)),
        SentencePair("lost", None),
    ]
    markup = side_by_side_html(HOSTILE, pairs, [entity_at(HOSTILE, "script", "MISC")])
    parsed = assert_inert(markup)
    assert "not translated" in "".join(parsed.text)
    assert "<script>alert(1)</script> headline" in "".join(parsed.text)


def test_header_legend_and_quote_cards_escape_everything():
    quote = Quote(
        text="<img src=x onerror=alert(1)>",
        start=0,
        end=10,
        kind='direct"><script>',
        speaker="<b>Jain</b>",
        cue="<i>sagt</i>",
        translation="<svg onload=alert(1)>",
    )
    for markup in (
        header_html("<script>alert(1)</script>", [("Source", '"><img src=x onerror=alert(1)>')]),
        legend_html({"PER": 3, '"><script>': 1}),
        quote_html(quote),
    ):
        assert_inert(markup)
        assert "<svg" not in markup


MD = MarkdownIt("commonmark").enable(["strikethrough", "table"])


def test_md_escape_leaves_no_markdown_structure():
    hostile = "# Kopf **fett** _kursiv_ [x](javascript:alert(1)) :red[rot] `code` $x$ <b>b</b>"
    tokens = MD.parse(md_escape(hostile))
    inline = [child.type for t in tokens for child in (t.children or [])]
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
    assert set(inline) <= {"text", "softbreak"}
    rendered = MD.render(md_escape(hostile))
    assert "<a" not in rendered and "<strong" not in rendered and "<b>" not in rendered
    # The reader still sees the words.
    assert "javascript:alert(1)" in html.unescape(rendered)


@settings(max_examples=150, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab <>&\"'\n*_[]()#:")), min_size=1, max_size=80),
    spans=st.lists(st.tuples(st.integers(0, 80), st.integers(1, 20)), max_size=8),
    focus=st.lists(st.tuples(st.integers(0, 80), st.integers(1, 20)), max_size=3),
)
def test_any_text_and_spans_round_trip(text, spans, focus):
    entities = [
        Entity(text[s : s + n], "PER", s, min(s + n, len(text)), "x")
        for s, n in spans
        if s < len(text)
    ]
    focus_spans = [(s, min(s + n, len(text))) for s, n in focus if s < len(text)]
    markup = article_html(text, entities, focus=focus_spans)
    parsed = assert_inert(markup)
    lines = [line for line in text.split("\n") if line.strip()]
    assert "".join(parsed.text) == "".join(lines)
