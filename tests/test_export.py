"""pipeline/export.py on the real sample analysis and on articles with hostile text."""

from __future__ import annotations

import io
import json

import pandas as pd
import pytest
from markdown_it import MarkdownIt

from pipeline import analyze, export, tables
from pipeline.ingest import document_from_text, read_document
from pipeline.model import Analysis, CanonicalEntity, Entity, Quote

HOSTILE = (
    '=HYPERLINK("http://evil") <script>alert(1)</script> [x](javascript:alert(1))\n\n'
    "# Kopf\n\n"
    "„<img src=x onerror=alert(1)> **fett**“, sagt @Mallory. Berlin | Paris"
)


@pytest.fixture(scope="module")
def sample(sample_text) -> Analysis:
    from conftest import SAMPLE_PATH

    return analyze(read_document(SAMPLE_PATH.read_bytes(), "luma-deepseek-interview.de.txt"))


@pytest.fixture(scope="module")
def hostile() -> Analysis:
    """An analysis whose every text field comes from the hostile article."""
    analysis = analyze(document_from_text(HOSTILE, source="<b>evil</b>.txt"))
    text = analysis.document.text
    start = text.index("„")
    end = text.index("“") + 1
    quoted = text[start : end - 1] + "\n# Kopf\n1. Punkt“"  # multi-line, as quotes can be
    analysis.quotes = [Quote(quoted, start, end, "direct", "=cmd|' /C calc'!A0", cue="<i>sagt</i>")]
    name_start = text.index("@Mallory")
    analysis.entities = [Entity("@Mallory", "PER", name_start, name_start + 8, "@Mallory")]
    analysis.canonical_entities = [
        CanonicalEntity("@Mallory", "PER", [(name_start, name_start + 8)]),
        CanonicalEntity('-2+3 <script>"', "ORG", [(0, 5)]),
    ]
    return analysis


def test_json_round_trips_the_analysis(sample):
    data = json.loads(export.to_json(sample))
    assert data == json.loads(json.dumps(sample.to_dict()))
    assert Analysis.from_dict(data).to_dict() == sample.to_dict()
    assert "„" in export.to_json(sample)  # readable UTF-8, not \\u escapes


def test_csvs_hold_the_tables(sample):
    for build, frame in (
        (export.entities_csv, tables.entities_frame(sample)),
        (export.quotes_csv, tables.quotes_frame(sample)),
        (export.companies_csv, tables.companies_frame(sample)),
    ):
        parsed = pd.read_csv(io.StringIO(build(sample)), keep_default_na=False)
        assert list(parsed.columns) == list(frame.columns)
        assert len(parsed) == len(frame)
    names = pd.read_csv(io.StringIO(export.entities_csv(sample)))["name"].tolist()
    assert names == tables.entities_frame(sample)["name"].tolist()


def test_csv_cells_cannot_run_as_spreadsheet_formulas(hostile):
    entities = pd.read_csv(io.StringIO(export.entities_csv(hostile)), dtype=str)
    assert sorted(entities["name"]) == sorted(["'@Mallory", "'-2+3 <script>\""])
    quotes = pd.read_csv(io.StringIO(export.quotes_csv(hostile)), dtype=str)
    assert quotes["speaker"].tolist() == ["'=cmd|' /C calc'!A0"]
    # Plain numbers stay numbers.
    assert export.frame_csv(pd.DataFrame({"v": ["-12.5", "+3", "-x"]})).split("\n")[1:4] == [
        "-12.5",
        "+3",
        "'-x",
    ]


MD = MarkdownIt("commonmark").enable("table")


def rendered(markdown: str) -> str:
    return MD.render(markdown)


def test_markdown_report_neutralises_article_markup(hostile):
    report = export.markdown_report(hostile)
    out = rendered(report)
    assert "<script" not in out and "<img" not in out and "<i>" not in out and "<b>" not in out
    assert 'href="javascript' not in out and "<strong>fett" not in out
    # The quote's "# Kopf" and "1. Punkt" lines stay text, not a heading or a list.
    tokens = MD.parse(report)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert not [h for h in headings if "Kopf" in h]
    assert not [t for t in tokens if t.type == "ordered_list_open"]
    assert "# Kopf" in out and "1. Punkt" in out
    assert "&lt;script&gt;" in out  # the reader still sees what the article says
    assert "=cmd" in out


def test_markdown_report_of_the_sample_lists_quotes_by_speaker(sample):
    report = export.markdown_report(sample)
    assert report.startswith("# ")
    for section in ("## Entities", "## Quotes", "## Companies"):
        assert section in report
    for quote in sample.quotes:
        speaker = quote.speaker or "— unknown —"
        assert f"### {export.md_inline(speaker)} (" in report
    tokens = MD.parse(report)
    tables_in_report = sum(t.type == "table_open" for t in tokens)
    assert tables_in_report >= 1 + bool(sample.companies)


def test_comparison_exports(sample, hostile):
    analyses = [sample, hostile]
    frame = pd.read_csv(io.StringIO(export.comparison_csv(analyses)), keep_default_na=False)
    assert list(frame.columns) == ["article", "kind", "name", "label", "count"]
    labels = tables.article_labels(analyses)
    assert set(frame["article"]) == {export.defuse_cell(label) for label in labels}
    entity_rows = frame[frame["kind"] == "entity"]
    assert len(entity_rows) == len(tables.entity_presence(analyses))
    speaker_rows = frame[frame["kind"] == "speaker"]
    assert speaker_rows["count"].sum() == len(sample.quotes) + len(hostile.quotes)

    report = export.comparison_markdown(analyses)
    out = rendered(report)
    assert report.startswith("# Comparison of 2 articles")
    assert "<script" not in out and 'href="javascript' not in out
    assert out.count("<table>") >= 2


def test_comparison_markdown_shares_the_compare_views_split():
    """The report's shared / only-in-one lists come from tables.shared_entities, the same
    split the Compare tab shows: an entity is keyed by name and type."""

    def article(title: str, entities: list[tuple[str, str, int]]) -> Analysis:
        text = f"{title}: " + " ".join(name for name, _, _ in entities) + "."
        canonical = []
        for name, label, count in entities:
            start = text.index(name)
            canonical.append(CanonicalEntity(name, label, [(start, start + len(name))] * count))
        return Analysis(
            document=document_from_text(text, title=title), canonical_entities=canonical
        )

    analyses = [
        article("Erster", [("Paris", "LOC", 2), ("Luma", "ORG", 1)]),
        article("Zweiter", [("Paris", "LOC", 1), ("Paris", "PER", 4)]),
    ]
    report = export.comparison_markdown(analyses)
    shared_part, distinct_part = report.split("## Entities only in one article")
    shared, _ = tables.shared_entities(tables.entity_presence(analyses))
    assert export.md_table(shared[tables.SHARED_COLUMNS], limit=60) in shared_part
    lines = [line for line in distinct_part.splitlines() if line.startswith("- ")]
    # "Paris" (LOC) is shared; only "Paris" the person is unique to the second article.
    assert lines == ["- **Erster**: Luma", "- **Zweiter**: Paris"]
