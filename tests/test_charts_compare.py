"""The compare view's article-length chart (components.charts.article_lengths_chart), built
from a real articles_frame (see test_tables.build_analysis)."""

from __future__ import annotations

import altair as alt
import pytest
from test_tables import build_analysis

from components import chart_spec, charts
from pipeline import tables


@pytest.fixture(scope="module")
def overview():
    analyses = [build_analysis("sample"), build_analysis("xglue-nc-dev-0838")]
    return tables.articles_frame(analyses + [analyses[0]])  # a repeated title too


def test_article_lengths_chart_spec(overview):
    chart = charts.article_lengths_chart(overview)
    assert isinstance(chart, alt.Chart)
    spec = chart.to_dict()
    assert spec["mark"] == "bar" or spec["mark"]["type"] == "bar"
    encoding = spec["encoding"]
    assert encoding["x"]["field"] == "words" and encoding["x"]["type"] == "quantitative"
    assert encoding["y"]["field"] == "article" and encoding["y"]["sort"] == "-x"
    assert encoding["color"]["field"] == "language"
    assert [t["field"] for t in encoding["tooltip"]] == [
        "article",
        "language",
        "words",
        "chars",
        "entities",
        "quotes",
        "companies",
    ]
    rows = spec["datasets"][spec["data"]["name"]]
    assert [r["article"] for r in rows] == list(overview["article"])  # one bar per article
    assert [r["words"] for r in rows] == list(overview["words"])
    assert "id" not in rows[0]  # only what the chart shows goes into the page


def test_article_lengths_chart_is_drawn_through_the_shared_helper(overview):
    spec = chart_spec("article_lengths_chart", overview)
    assert spec["encoding"]["x"]["field"] == "words"


def test_article_lengths_chart_of_no_articles_is_valid():
    spec = charts.article_lengths_chart(tables.articles_frame([])).to_dict()
    assert spec["datasets"][spec["data"]["name"]] == []
