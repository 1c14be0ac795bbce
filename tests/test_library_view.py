"""The library tab, run headless with Streamlit's AppTest on tests/apps/library_view_app.py."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from test_library import small_corpus

from components.library import cached_library
from pipeline.ingest import document_from_text
from pipeline.library import open_library

APP = Path(__file__).parent / "apps" / "library_view_app.py"


@pytest.fixture
def library_path(tmp_path, monkeypatch):
    path = tmp_path / "library.duckdb"
    monkeypatch.setenv("NEWSLENS_TEST_LIBRARY", str(path))
    yield path
    cached_library.clear()


def stored(path: Path, *, dates: dict[int, str] | None = None) -> list[str]:
    """Save the small corpus (optionally dated); returns ids in the table's row order."""
    corpus = small_corpus()
    with open_library(path) as lib:
        lib.save_many(corpus)
        for index, date in (dates or {}).items():
            lib.save(corpus[index], date=date)
        return list(lib.search("")["id"])


def run(at: AppTest) -> AppTest:
    at.run(timeout=30)
    assert not at.exception, at.exception
    return at


def select_rows(at: AppTest, rows: list[int]) -> AppTest:
    at.session_state["library_table"] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return run(at)


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def charts(at: AppTest) -> int:
    return len(at.get("vega_lite_chart"))


def test_empty_library_says_so(library_path):
    at = run(AppTest.from_file(str(APP)))
    assert any("library is empty" in i.value for i in at.info)
    assert charts(at) == 0


def test_lists_articles_and_opens_the_selected_one(library_path):
    ids = stored(library_path)
    at = run(AppTest.from_file(str(APP)))
    assert at.dataframe[0].value["id"].tolist() == ids
    assert any("3 of 3 stored articles" in c.value for c in at.caption)
    assert button(at, "Open").disabled  # nothing selected yet
    at = select_rows(at, [1])
    assert not button(at, "Open").disabled
    button(at, "Open").click()
    at = run(at)
    assert at.session_state["opened"] == ids[1]
    assert at.session_state["opened_entities"] > 0
    assert any(t.value == f"workspace: {ids[1]}" for t in at.text)


def test_search_filters_table_and_corpus_views(library_path):
    stored(library_path)
    at = run(AppTest.from_file(str(APP)))
    whole = at.get("vega_lite_chart")
    assert len(whole) == 4  # entities, speakers, roles, co-mentions; no dates -> no timeline
    assert any("no timeline" in c.value for c in at.caption)
    assert len(at.get("download_button")) == 4

    at = select_rows(at, [2])
    at.text_input[0].input("sam altman")
    at = run(at)
    assert button(at, "Open").disabled  # row 2 of the old list is not a row of the new one
    table = at.dataframe[0].value
    assert len(table) == 1 and "Sam Altman" not in table["title"].iloc[0]
    assert at.radio[0].value == "Search results"
    assert any("1 articles" in c.value for c in at.caption)
    at.radio[0].set_value("Whole library")
    at = run(at)
    assert any("3 articles" in c.value for c in at.caption)

    at.text_input[0].input("kein Treffer")
    at = run(at)
    assert any("No stored article matches" in i.value for i in at.info)


def test_delete_asks_for_confirmation(library_path):
    ids = stored(library_path)
    at = run(AppTest.from_file(str(APP)))
    at = select_rows(at, [0, 2])
    button(at, "Delete").click()
    at = run(at)
    assert any("Delete 2 article(s)" in w.value for w in at.warning)
    button(at, "Cancel").click()
    at = run(at)
    assert len(at.dataframe[0].value) == 3

    at = select_rows(at, [0])
    button(at, "Delete").click()
    at = run(at)
    button(at, "Yes, delete").click()
    at = run(at)
    assert at.dataframe[0].value["id"].tolist() == [ids[1], ids[2]]
    assert not at.warning


def test_timeline_appears_when_articles_have_dates(library_path):
    stored(library_path, dates={0: "2017-03-02", 1: "2017-04-11"})
    at = run(AppTest.from_file(str(APP)))
    assert charts(at) == 5
    assert len(at.get("download_button")) == 5


def test_corrupt_library_file_shows_the_warning_and_still_works(library_path):
    library_path.write_bytes(b"\x00garbage" * 4096)
    at = run(AppTest.from_file(str(APP)))
    assert any("could not be opened" in w.value for w in at.warning)
    assert any("library is empty" in i.value for i in at.info)
    library_path.unlink()  # the user moves the bad file away and retries
    button(at, "Try opening the library again").click()
    at = run(at)
    assert not at.warning
    assert library_path.exists()


def test_chart_builders_draw_the_library_frames(tmp_path):
    from components import library as view

    with open_library(tmp_path / "library.duckdb") as lib:
        lib.save_many(small_corpus())
        lib.save(small_corpus()[0], date="2017-03-02")
        cases = [
            (view.top_entities_chart, lib.top_entities(), "name"),
            (view.company_roles_chart, lib.company_roles(), "company"),
            (view.co_mentions_chart, lib.co_mentions(), "company_a"),
            (view.quotes_per_speaker_chart, lib.quotes_per_speaker(), "speaker"),
            (view.mentions_over_time_chart, lib.mentions_over_time(), "name"),
        ]
    for build, frame, field in cases:
        spec = build(frame).to_dict()
        rows = next(iter(spec["datasets"].values()))
        assert {r[field] for r in rows} == set(frame[field]), build.__name__
        assert spec["encoding"]["tooltip"], build.__name__


def test_save_button_stores_the_workspace_article(library_path, monkeypatch, sample_text):
    monkeypatch.setenv("NEWSLENS_TEST_SAVE_TEXT", sample_text)
    at = run(AppTest.from_file(str(APP)))
    button(at, "Save to library").click()
    at = run(run(at))  # the table is drawn above the button: it shows the save a run later
    assert at.dataframe[0].value["id"].tolist() == [document_from_text(sample_text).doc_id]
    assert button(at, "Update in library")  # now stored: the button offers an update
    assert any("1 of 1 stored articles" in c.value for c in at.caption)


def test_corpus_view_csv_download_defuses_formulas(monkeypatch):
    """Entity names come from articles: the library's CSV downloads go through
    pipeline.export.frame_csv like every other export (no spreadsheet formulas)."""
    import pandas as pd

    from components import library as view

    downloads = []
    monkeypatch.setattr(view.st, "altair_chart", lambda *args, **kwargs: None)
    monkeypatch.setattr(
        view.st, "download_button", lambda label, data, **kwargs: downloads.append(data)
    )
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://evil.example","klick")', "@SUM(1)", "Luma"],
            "label": ["ORG", "PER", "ORG"],
            "mentions": [3, 2, 1],
            "articles": [1, 1, 1],
        }
    )
    view._view(frame, view.top_entities_chart, None, "top_entities", "library")

    rows = pd.read_csv(io.StringIO(downloads[0].decode("utf-8")))
    assert list(rows["name"]) == ['\'=HYPERLINK("http://evil.example","klick")', "'@SUM(1)", "Luma"]


def test_library_messages_are_not_markdown(library_path, monkeypatch):
    """A library warning (it names the file path) is shown as plain text, not Markdown."""
    from components import library as view
    from pipeline.library import open_library as real_open

    def odd_library(path):
        library = real_open(path)
        library.warning = "Library at /tmp/**data**/[x](https://evil.example) is odd."
        return library

    monkeypatch.setattr(view, "open_library", odd_library)
    at = run(AppTest.from_file(str(APP)))
    shown = [w.value for w in at.warning]
    assert shown and all("](" not in w and "**data**" not in w for w in shown)
