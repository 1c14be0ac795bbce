"""Altair specs of components/charts.py built from real frames (the sample article and two
corpus articles, see test_tables.build_analysis): data values, mark, encodings, tooltips and
the selection params the page reads."""

from __future__ import annotations

import altair as alt
import pandas as pd
import pytest
from test_tables import build_analysis

import pipeline.money  # noqa: F401 - the figures need it: a broken import must fail
from components import charts
from pipeline import tables


@pytest.fixture(scope="module")
def sample():
    return build_analysis("sample")


@pytest.fixture(scope="module")
def several(sample):
    return [sample, build_analysis("xglue-nc-dev-0838"), build_analysis("xglue-nc-dev-0948")]


def spec(chart: alt.Chart) -> dict:
    assert isinstance(chart, alt.Chart)
    return chart.to_dict()


def values(spec_dict: dict) -> list[dict]:
    return spec_dict["datasets"][spec_dict["data"]["name"]]


def mark(spec_dict: dict) -> str:
    m = spec_dict["mark"]
    return m["type"] if isinstance(m, dict) else m


def tooltip_fields(spec_dict: dict) -> list[str]:
    return [t["field"] for t in spec_dict["encoding"]["tooltip"]]


def params(spec_dict: dict) -> dict[str, dict]:
    return {p["name"]: p["select"] for p in spec_dict.get("params", [])}


def assert_selection(spec_dict: dict, name: str, field: str) -> None:
    selections = params(spec_dict)
    assert selections[name]["type"] == "point"
    assert selections[name]["fields"] == [field]
    assert spec_dict["encoding"]["opacity"]["condition"]["param"] == name


def test_company_mentions_chart(sample):
    frame = tables.companies_frame(sample)
    s = spec(charts.company_mentions_chart(frame))
    assert mark(s) == "bar"
    rows = {v["name"]: v for v in values(s)}
    assert rows["Luma"]["role"] == "subject" and rows["Luma"]["mentions"] == frame["mentions"].max()
    assert rows["Google"]["products"] == "Veo"
    assert s["encoding"]["x"] == {"field": "mentions", "type": "quantitative", "title": "Mentions"}
    assert s["encoding"]["y"]["field"] == "name" and s["encoding"]["y"]["sort"] == "-x"
    color = s["encoding"]["color"]
    assert color["field"] == "role" and color["scale"]["domain"][0] == "subject"
    assert tooltip_fields(s) == ["name", "role", "region", "mentions", "products"]
    assert_selection(s, charts.COMPANY_SELECT, "name")


def test_company_mentions_chart_accepts_page_param(sample):
    """The page may add its own click param on top (components/competitors.py does)."""
    chart = charts.company_mentions_chart(tables.companies_frame(sample))
    extra = chart.add_params(alt.selection_point(name="company", fields=["name"])).to_dict()
    assert {"company", charts.COMPANY_SELECT} <= set(params(extra))


def test_companies_by_region_chart(sample):
    s = spec(charts.companies_by_region_chart(tables.companies_frame(sample)))
    assert mark(s) == "bar"
    data = pd.DataFrame(values(s))
    by_region = data.groupby("region")["companies"].sum()
    assert by_region["China"] == 6 and by_region["Saudi Arabia"] == 1
    assert s["encoding"]["x"]["aggregate"] == "sum" and s["encoding"]["x"]["field"] == "companies"
    assert s["encoding"]["y"]["field"] == "region"
    assert s["encoding"]["detail"]["field"] == "name"
    assert tooltip_fields(s) == ["name", "role", "region", "mentions"]
    assert_selection(s, charts.COMPANY_SELECT, "name")


def test_companies_by_region_fills_unknown(sample):
    frame = tables.companies_frame(sample)
    frame.loc[frame["name"] == "Runway", "region"] = None
    data = pd.DataFrame(values(spec(charts.companies_by_region_chart(frame))))
    assert data.set_index("name").loc["Runway", "region"] == charts.UNKNOWN_REGION


def test_figures_chart(sample):
    s = spec(charts.figures_chart(tables.figures_frame(sample)))
    assert mark(s) == "bar"
    rows = {(v["kind"], v["value"]) for v in values(s)}
    assert ("valuation", 4e9) in rows and ("funding", 9e8) in rows
    assert all(v["currency"] == "USD" for v in values(s))
    assert s["encoding"]["x"]["field"] == "value" and s["encoding"]["x"]["type"] == "quantitative"
    assert s["encoding"]["color"]["field"] == "kind"
    assert tooltip_fields(s) == ["company", "kind", "text", "value", "currency", "sentence"]
    assert_selection(s, charts.COMPANY_SELECT, "company")


def test_figures_chart_leaves_counts_out_when_there_is_money(several):
    frame = tables.figures_frame(several[1])  # OpenAI: 1 bn USD and 100 employees
    assert set(frame["kind"]) >= {"funding", "employees"}
    kinds = {v["kind"] for v in values(spec(charts.figures_chart(frame)))}
    assert "employees" not in kinds and "funding" in kinds


def test_products_chart(sample):
    s = spec(charts.products_chart(tables.products_frame(sample)))
    assert mark(s) == "bar"
    pairs = {(v["company"], v["product"]) for v in values(s)}
    assert ("Google", "Veo") in pairs and ("Black Forest Labs", "Flux 2") in pairs
    assert s["encoding"]["y"]["field"] == "company"
    assert s["encoding"]["detail"]["field"] == "product"
    assert tooltip_fields(s) == ["company", "product", "role"]
    assert_selection(s, charts.COMPANY_SELECT, "company")


def test_entity_labels_chart_counts_entities_and_mentions(sample):
    frame = tables.entities_frame(sample)
    s = spec(charts.entity_labels_chart(frame))
    assert mark(s) == "bar"
    rows = {v["label"]: v for v in values(s)}
    org = frame[frame["label"] == "ORG"]
    assert rows["ORG"]["entities"] == len(org) and rows["ORG"]["mentions"] == org["mentions"].sum()
    assert tooltip_fields(s) == ["label", "entities", "mentions"]
    assert_selection(s, charts.LABEL_SELECT, "label")
    # One row per mention works too (mentions_frame).
    by_mention = {
        v["label"]: v
        for v in values(spec(charts.entity_labels_chart(tables.mentions_frame(sample))))
    }
    assert by_mention["ORG"]["entities"] == org["mentions"].sum()


def test_mentions_heatmap(several):
    frame = tables.company_mentions_by_article(several)
    s = spec(charts.mentions_heatmap(frame))
    assert mark(s) == "rect"
    cells = {(v["article"], v["company"]): v["mentions"] for v in values(s)}
    labels = tables.article_labels(several)
    openai = {a: n for (a, c), n in cells.items() if c == "OpenAI"}
    assert set(openai) == {labels[0], labels[1]} and openai[labels[1]] > openai[labels[0]]
    assert s["encoding"]["x"]["field"] == "article" and s["encoding"]["y"]["field"] == "company"
    assert s["encoding"]["color"]["field"] == "mentions"
    assert tooltip_fields(s) == ["article", "company", "role", "mentions"]
    assert_selection(s, charts.COMPANY_SELECT, "company")


def test_entity_presence_chart_puts_shared_entities_first(several):
    s = spec(charts.entity_presence_chart(tables.entity_presence(several)))
    assert mark(s) == "circle"
    data = pd.DataFrame(values(s))
    assert data.set_index(["entity", "article"]).xs("Microsoft", level=0)["articles"].iloc[0] == 2
    assert s["encoding"]["y"]["sort"]["field"] == "articles"
    assert s["encoding"]["size"]["field"] == "mentions"
    assert tooltip_fields(s) == ["entity", "label", "article", "mentions", "articles"]
    assert_selection(s, charts.ENTITY_SELECT, "entity")


def test_entity_presence_chart_keeps_largest_when_too_many():
    frame = pd.DataFrame(
        [{"entity": f"E{i}", "label": "ORG", "article": "a", "mentions": i} for i in range(100)]
    )
    data = pd.DataFrame(values(spec(charts.entity_presence_chart(frame))))
    assert data["entity"].nunique() == charts.MAX_ROWS


def test_quotes_by_speaker_chart(several):
    frame = tables.quotes_by_speaker(several)
    s = spec(charts.quotes_by_speaker_chart(frame))
    assert mark(s) == "bar"
    rows = {(v["article"], v["speaker"]): v["quotes"] for v in values(s)}
    label = tables.article_labels(several)[0]
    assert rows[(label, "Amit Jain")] == len(several[0].quotes) - 1
    assert s["encoding"]["x"]["aggregate"] == "sum"
    assert tooltip_fields(s) == ["speaker", "article", "quotes"]
    assert_selection(s, charts.SPEAKER_SELECT, "speaker")


def test_quotes_by_speaker_chart_from_quotes_frame(sample):
    """One article's quotes_frame (one row per quote) is counted per speaker."""
    s = spec(charts.quotes_by_speaker_chart(tables.quotes_frame(sample)))
    rows = {v["speaker"]: v["quotes"] for v in values(s)}
    assert rows["Amit Jain"] == len(sample.quotes) - 1 and rows["(unknown)"] == 1


@pytest.mark.parametrize(
    "build,frame_of",
    [
        (charts.company_mentions_chart, tables.companies_frame),
        (charts.companies_by_region_chart, tables.companies_frame),
        (charts.figures_chart, tables.figures_frame),
        (charts.products_chart, tables.products_frame),
        (charts.entity_labels_chart, tables.entities_frame),
    ],
    ids=lambda f: getattr(f, "__name__", ""),
)
def test_charts_of_an_empty_analysis_are_valid(build, frame_of):
    from pipeline.ingest import document_from_text
    from pipeline.model import Analysis

    empty = Analysis(document=document_from_text("Nichts zu sehen."))
    s = spec(build(frame_of(empty)))
    assert values(s) == [] and "tooltip" in s["encoding"]
