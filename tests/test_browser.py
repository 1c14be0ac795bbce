"""The real page in headless Chromium: highlights, quotes, charts, uploads through the file
input, the compare view, no script from an article runs, and the JSON download.

Run: ``pytest -m browser tests/test_browser.py``. Needs /usr/bin/chromium (CI installs it).
A screenshot of each view lands in test-output/ (gitignored).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from app_server import CHROMIUM, IDLE, LAUNCH_ARGS, running_app
from conftest import ROOT

OUTPUT = ROOT / "test-output"
HOSTILE_TXT = (
    "Angriff auf die Redaktion <script>window.__pwned = 1</script>\n\n"
    'Ein Bild <img src=x onerror="window.__pwned = 2"> und ein '
    "[Link](javascript:window.__pwned=3) und :red[rot] und **fett**.\n\n"
    "„Wir lassen uns nicht einschüchtern“, sagt Chefredakteurin Anna Schmidt in Berlin. "
    "Die Polizei ermittelt gegen Unbekannt; Google und OpenAI äußerten sich nicht."
)
SECOND_MD = (
    "# Synthesia eröffnet Büro in Berlin\n\n"
    "Das Londoner Start-up Synthesia expandiert nach Deutschland. "
    "„Berlin ist für uns der wichtigste Markt in Europa“, sagt Gründer Victor Riparbelli. "
    "Konkurrent Luma arbeitet an Videomodellen, OpenAI an Sora.\n"
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {
        "NEWSLENS_DATA_DIR": str(tmp_path_factory.mktemp("library")),
        "NEWSLENS_CACHE_DIR": str(tmp_path_factory.mktemp("cache")),
        "NEWSLENS_OFFLINE_TESTS": "1",
    }
    with running_app(env, tmp_path_factory.mktemp("log") / "streamlit.log") as url:
        yield url


@pytest.fixture(scope="module")
def page(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        context = browser.new_context(
            viewport={"width": 1600, "height": 1000}, accept_downloads=True
        )
        page = context.new_page()
        page.set_default_timeout(120_000)
        page.goto(server)
        page.wait_for_selector(IDLE)
        yield page
        context.close()
        browser.close()


def settle(page) -> None:
    page.wait_for_selector(IDLE)


def shot(page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"browser-{name}.png"), full_page=False)


def test_article_view_highlights_entities(page):
    page.wait_for_selector("mark.nl-ent")
    page.wait_for_selector('[data-testid="stMetricValue"]')
    marks = page.locator("mark.nl-ent")
    assert marks.count() > 0
    titles = marks.evaluate_all("els => els.map(e => e.getAttribute('title'))")
    assert all(" · " in t for t in titles)
    assert "ORG · Luma" in titles
    side_by_side = page.locator("table.nl-sbs tbody tr")
    assert side_by_side.count() > 10
    shot(page, "explore")


def test_quotes_panel_shows_speakers(page):
    page.get_by_role("tab", name="Quotes").click()
    quotes = page.locator(".nl-quote")
    quotes.first.wait_for(state="visible")
    speakers = page.locator(".nl-speaker b").all_inner_texts()
    assert speakers and quotes.count() >= len(speakers)
    page.get_by_role("button", name="Show in article").first.click()
    page.wait_for_selector(".nl-sbs .nl-focus, .nl-article .nl-focus")
    settle(page)
    shot(page, "quotes")


def test_competitors_panel_draws_a_vega_chart(page):
    page.get_by_role("tab", name="Competitors").click()
    page.wait_for_selector(".vega-embed canvas, .vega-embed svg", state="visible")
    settle(page)
    shot(page, "competitors")


def test_upload_two_files_then_compare_without_running_their_script(page):
    uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    uploader.set_input_files(
        [
            {"name": "hostile.txt", "mimeType": "text/plain", "buffer": HOSTILE_TXT.encode()},
            {"name": "synthesia.md", "mimeType": "text/markdown", "buffer": SECOND_MD.encode()},
        ]
    )
    page.get_by_text("Loaded articles (3)").wait_for()
    settle(page)
    # The last upload (synthesia.md) is shown first.
    page.get_by_text("Synthesia eröffnet Büro in Berlin").first.wait_for()
    # Switch to the hostile article and check its markup is text.
    page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]').first.click()
    page.get_by_role("option", name="Angriff auf die Redaktion").click()
    page.locator(".nl-title", has_text="<script>").wait_for()
    settle(page)
    assert page.evaluate("() => window.__pwned") is None
    assert page.locator(".nl-article img, .nl-sbs img, .nl-article script").count() == 0
    assert page.get_by_text('<img src=x onerror="window.__pwned = 2">').count() >= 1
    assert page.locator('a[href^="javascript"]').count() == 0
    shot(page, "hostile")

    page.get_by_role("tab", name="Compare").click()
    chips = page.locator('[data-testid="stMultiSelect"] [data-tag]')
    chips.nth(2).wait_for()
    assert chips.count() == 3
    names = " ".join(chips.all_inner_texts())
    assert "hostile.txt" in names and "synthesia.md" in names
    page.wait_for_selector(".vega-embed canvas, .vega-embed svg", state="visible")
    settle(page)
    assert page.evaluate("() => window.__pwned") is None
    shot(page, "compare")


def test_json_export_downloads_the_analysis(page):
    page.get_by_role("tab", name="Export").click()
    button = page.get_by_role("button", name="JSON (full analysis)")
    button.wait_for()
    with page.expect_download() as download_info:
        button.click()
    download = download_info.value
    data = json.loads(Path(download.path()).read_text(encoding="utf-8"))
    assert download.suggested_filename.endswith(".json")
    assert data["source"] == "hostile.txt"
    assert "<script>window.__pwned = 1</script>" in data["text"]
    assert {"entities", "quotes", "companies", "translation"} <= set(data)
    shot(page, "export")
