"""Altair chart builders: pure functions from a tidy frame (pipeline/tables.py) to an
``alt.Chart``. No Streamlit here; every chart has tooltips.

Click selections (read by ``st.altair_chart(chart, on_select="rerun")`` as
``state["selection"][<param name>]``, a list of dicts with the field below):

=====================  ====================  ========================================
chart                  selection param       field(s) in the selected points
=====================  ====================  ========================================
company_mentions_chart ``company_select``    ``name``
companies_by_region    ``company_select``    ``name``
figures_chart          ``company_select``    ``company``
products_chart         ``company_select``    ``company``
mentions_heatmap       ``company_select``    ``company``
entity_presence_chart  ``entity_select``     ``entity``
quotes_by_speaker      ``speaker_select``    ``speaker``
entity_labels_chart    ``label_select``      ``label``
=====================  ====================  ========================================

Charts are single-view (not layered), so a caller may still ``add_params`` its own.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from pipeline.model import COMPANY_ROLES, ENTITY_LABELS

COMPANY_SELECT = "company_select"
ENTITY_SELECT = "entity_select"
SPEAKER_SELECT = "speaker_select"
LABEL_SELECT = "label_select"

# Fixed colours so a role/label looks the same in every chart.
ROLE_COLORS = {
    "subject": "#1f77b4",
    "competitor": "#d62728",
    "customer": "#2ca02c",
    "investor": "#9467bd",
    "partner": "#ff7f0e",
    "mentioned": "#9e9e9e",
}
LABEL_COLORS = {
    "PER": "#1f77b4",
    "ORG": "#d62728",
    "LOC": "#2ca02c",
    "MISC": "#8c564b",
    "PRODUCT": "#ff7f0e",
    "MONEY": "#9467bd",
    "DATE": "#17becf",
}
UNKNOWN_REGION = "unknown"
MAX_ROWS = 40  # rows of a category axis before the chart keeps only the largest


def _role_color(title: str = "Role") -> alt.Color:
    return alt.Color(
        "role:N",
        title=title,
        scale=alt.Scale(domain=list(COMPANY_ROLES), range=[ROLE_COLORS[r] for r in COMPANY_ROLES]),
    )


def _label_color() -> alt.Color:
    return alt.Color(
        "label:N",
        title="Type",
        scale=alt.Scale(
            domain=list(ENTITY_LABELS), range=[LABEL_COLORS[label] for label in ENTITY_LABELS]
        ),
    )


def _highlight(param) -> alt.OpacityValue:
    return alt.condition(param, alt.value(1.0), alt.value(0.35))


def _height(rows: int) -> int:
    return max(80, min(rows, MAX_ROWS) * 22 + 30)


def _top(df: pd.DataFrame, key: str, weight: str | None = None) -> pd.DataFrame:
    """Keep the rows of the MAX_ROWS largest ``key`` groups (by summed ``weight``/rows)."""
    if df[key].nunique() <= MAX_ROWS:
        return df
    sizes = df.groupby(key)[weight].sum() if weight else df.groupby(key).size()
    keep = sizes.sort_values(ascending=False).index[:MAX_ROWS]
    return df[df[key].isin(keep)]


# --------------------------------------------------------------------------- one article


def company_mentions_chart(df: pd.DataFrame) -> alt.Chart:
    """Mentions per company (companies_frame), coloured by role; click selects a company."""
    data = df[["name", "role", "region", "products", "mentions"]].copy()
    data["region"] = data["region"].fillna(UNKNOWN_REGION)
    select = alt.selection_point(name=COMPANY_SELECT, fields=["name"])
    return (
        alt.Chart(data, title="Mentions per company")
        .mark_bar()
        .encode(
            x=alt.X("mentions:Q", title="Mentions"),
            y=alt.Y("name:N", title=None, sort="-x"),
            color=_role_color(),
            opacity=_highlight(select),
            tooltip=[
                alt.Tooltip("name:N", title="Company"),
                alt.Tooltip("role:N", title="Role"),
                alt.Tooltip("region:N", title="Region"),
                alt.Tooltip("mentions:Q", title="Mentions"),
                alt.Tooltip("products:N", title="Products"),
            ],
        )
        .add_params(select)
        .properties(height=_height(len(data)))
    )


def companies_by_region_chart(df: pd.DataFrame) -> alt.Chart:
    """Companies (companies_frame) grouped by region: one bar segment per company."""
    data = df[["name", "role", "region", "mentions"]].copy()
    data["region"] = data["region"].fillna(UNKNOWN_REGION)
    data["companies"] = 1
    select = alt.selection_point(name=COMPANY_SELECT, fields=["name"])
    return (
        alt.Chart(data, title="Companies by region")
        .mark_bar()
        .encode(
            x=alt.X("sum(companies):Q", title="Companies"),
            y=alt.Y("region:N", title=None, sort="-x"),
            color=_role_color(),
            detail="name:N",
            opacity=_highlight(select),
            tooltip=[
                alt.Tooltip("name:N", title="Company"),
                alt.Tooltip("role:N", title="Role"),
                alt.Tooltip("region:N", title="Region"),
                alt.Tooltip("mentions:Q", title="Mentions"),
            ],
        )
        .add_params(select)
        .properties(height=_height(data["region"].nunique()))
    )


def figures_chart(df: pd.DataFrame) -> alt.Chart:
    """Money figures (figures_frame): one bar per amount, coloured by kind. Counts
    (employees) are left out when there are amounts, since they share no axis with money."""
    data = df[["company", "kind", "text", "value", "currency", "sentence"]].copy()
    money = data[data["currency"].notna()]
    if len(money):
        data = money
    data["currency"] = data["currency"].fillna("")
    data["figure"] = data["company"].fillna("") + ": " + data["text"]
    select = alt.selection_point(name=COMPANY_SELECT, fields=["company"])
    return (
        alt.Chart(data, title="Figures")
        .mark_bar()
        .encode(
            x=alt.X("value:Q", title="Amount", axis=alt.Axis(format="~s")),
            y=alt.Y("figure:N", title=None, sort="-x"),
            color=alt.Color("kind:N", title="Kind"),
            opacity=_highlight(select),
            tooltip=[
                alt.Tooltip("company:N", title="Company"),
                alt.Tooltip("kind:N", title="Kind"),
                alt.Tooltip("text:N", title="In the text"),
                alt.Tooltip("value:Q", title="Value", format=",.0f"),
                alt.Tooltip("currency:N", title="Currency"),
                alt.Tooltip("sentence:N", title="Sentence"),
            ],
        )
        .add_params(select)
        .properties(height=_height(len(data)))
    )


def products_chart(df: pd.DataFrame) -> alt.Chart:
    """Products per company (products_frame): one segment per product, coloured by role."""
    data = df[["company", "product", "role"]].copy()
    data["products"] = 1
    select = alt.selection_point(name=COMPANY_SELECT, fields=["company"])
    return (
        alt.Chart(data, title="Products per company")
        .mark_bar()
        .encode(
            x=alt.X("sum(products):Q", title="Products", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("company:N", title=None, sort="-x"),
            color=_role_color(),
            detail="product:N",
            opacity=_highlight(select),
            tooltip=[
                alt.Tooltip("company:N", title="Company"),
                alt.Tooltip("product:N", title="Product"),
                alt.Tooltip("role:N", title="Role"),
            ],
        )
        .add_params(select)
        .properties(height=_height(data["company"].nunique()))
    )


def entity_labels_chart(df: pd.DataFrame) -> alt.Chart:
    """Entities per label from entities_frame (or mentions_frame: one row per mention)."""
    weights = df["mentions"] if "mentions" in df.columns else pd.Series(1, index=df.index)
    data = (
        pd.DataFrame({"label": df["label"], "entities": 1, "mentions": weights})
        .groupby("label", as_index=False)
        .sum()
    )
    select = alt.selection_point(name=LABEL_SELECT, fields=["label"])
    return (
        alt.Chart(data, title="Entities by type")
        .mark_bar()
        .encode(
            x=alt.X("label:N", title="Type", sort="-y"),
            y=alt.Y("entities:Q", title="Entities"),
            color=_label_color(),
            opacity=_highlight(select),
            tooltip=[
                alt.Tooltip("label:N", title="Type"),
                alt.Tooltip("entities:Q", title="Entities"),
                alt.Tooltip("mentions:Q", title="Mentions"),
            ],
        )
        .add_params(select)
    )


# --------------------------------------------------------------------------- several articles


def mentions_heatmap(df: pd.DataFrame) -> alt.Chart:
    """Company mentions per article (company_mentions_by_article): article × company."""
    data = _top(df[["article", "company", "role", "mentions"]].copy(), "company", "mentions")
    select = alt.selection_point(name=COMPANY_SELECT, fields=["company"])
    return (
        alt.Chart(data, title="Company mentions per article")
        .mark_rect()
        .encode(
            x=alt.X("article:N", title=None, axis=alt.Axis(labelLimit=160, labelAngle=-30)),
            y=alt.Y("company:N", title=None, sort="-color"),
            color=alt.Color("mentions:Q", title="Mentions", scale=alt.Scale(scheme="reds")),
            opacity=_highlight(select),
            tooltip=[
                alt.Tooltip("article:N", title="Article"),
                alt.Tooltip("company:N", title="Company"),
                alt.Tooltip("role:N", title="Role"),
                alt.Tooltip("mentions:Q", title="Mentions"),
            ],
        )
        .add_params(select)
        .properties(height=_height(data["company"].nunique()))
    )


def entity_presence_chart(df: pd.DataFrame) -> alt.Chart:
    """Which entities appear in which articles (entity_presence): circles sized by mentions;
    entities shared by several articles first."""
    data = df[["entity", "label", "article", "mentions"]].copy()
    data["articles"] = data.groupby(["entity", "label"])["article"].transform("nunique")
    data = _top(data, "entity", "articles")
    select = alt.selection_point(name=ENTITY_SELECT, fields=["entity"])
    return (
        alt.Chart(data, title="Entities across articles")
        .mark_circle()
        .encode(
            x=alt.X("article:N", title=None, axis=alt.Axis(labelLimit=160, labelAngle=-30)),
            y=alt.Y(
                "entity:N",
                title=None,
                sort=alt.EncodingSortField(field="articles", op="max", order="descending"),
            ),
            size=alt.Size("mentions:Q", title="Mentions"),
            color=_label_color(),
            opacity=_highlight(select),
            tooltip=[
                alt.Tooltip("entity:N", title="Entity"),
                alt.Tooltip("label:N", title="Type"),
                alt.Tooltip("article:N", title="Article"),
                alt.Tooltip("mentions:Q", title="Mentions"),
                alt.Tooltip("articles:Q", title="In articles"),
            ],
        )
        .add_params(select)
        .properties(height=_height(data["entity"].nunique()))
    )


def quotes_by_speaker_chart(df: pd.DataFrame) -> alt.Chart:
    """Quotes per speaker (quotes_by_speaker, or quotes_frame: one row per quote),
    stacked by article."""
    data = df.copy()
    if "article" not in data.columns:
        data["article"] = ""
    data["speaker"] = data["speaker"].fillna("(unknown)")
    if "quotes" not in data.columns:
        data = data.groupby(["article", "speaker"], as_index=False).size()
        data = data.rename(columns={"size": "quotes"})
    data = _top(data[["article", "speaker", "quotes"]], "speaker", "quotes")
    select = alt.selection_point(name=SPEAKER_SELECT, fields=["speaker"])
    return (
        alt.Chart(data, title="Quotes per speaker")
        .mark_bar()
        .encode(
            x=alt.X("sum(quotes):Q", title="Quotes", axis=alt.Axis(tickMinStep=1)),
            y=alt.Y("speaker:N", title=None, sort="-x"),
            color=alt.Color("article:N", title="Article"),
            opacity=_highlight(select),
            tooltip=[
                alt.Tooltip("speaker:N", title="Speaker"),
                alt.Tooltip("article:N", title="Article"),
                alt.Tooltip("quotes:Q", title="Quotes"),
            ],
        )
        .add_params(select)
        .properties(height=_height(data["speaker"].nunique()))
    )


def article_lengths_chart(df: pd.DataFrame) -> alt.Chart:
    """Words per article (articles_frame), longest first, coloured by language."""
    data = df[["article", "language", "words", "chars", "entities", "quotes", "companies"]].copy()
    return (
        alt.Chart(data, title="Length of the articles")
        .mark_bar()
        .encode(
            x=alt.X("words:Q", title="Words"),
            y=alt.Y("article:N", title=None, sort="-x", axis=alt.Axis(labelLimit=200)),
            color=alt.Color("language:N", title="Language"),
            tooltip=[
                alt.Tooltip("article:N", title="Article"),
                alt.Tooltip("language:N", title="Language"),
                alt.Tooltip("words:Q", title="Words", format=","),
                alt.Tooltip("chars:Q", title="Characters", format=","),
                alt.Tooltip("entities:Q", title="Entities"),
                alt.Tooltip("quotes:Q", title="Quotes"),
                alt.Tooltip("companies:Q", title="Companies"),
            ],
        )
        .properties(height=_height(len(data)))
    )
