"""Shared fixtures: the sample article and real files (DOCX, PDF, HTML) built from it."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SAMPLE_PATH = ROOT / "pipeline" / "data" / "sample_article.de.txt"
XGLUE_PATH = SHARED / "corpora" / "xglue-news-de" / "articles.jsonl"
UNICODE_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")

# Tests never talk to real translation services or write into the user's cache.
os.environ.setdefault("NEWSLENS_OFFLINE_TESTS", "1")


@pytest.fixture(scope="session")
def sample_text() -> str:
    return SAMPLE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def sample_paragraphs(sample_text) -> list[str]:
    return [p.strip() for p in sample_text.split("\n") if p.strip()]


def xglue_articles(limit: int | None = None) -> list[dict]:
    """Rows of the shared news corpus (id, title, body, category)."""
    rows = []
    with XGLUE_PATH.open(encoding="utf-8") as handle:
        for line in handle:
            rows.append(json.loads(line))
            if limit and len(rows) >= limit:
                break
    return rows


def make_docx(
    paragraphs: list[str], *, title: str | None = None, table: list[list[str]] | None = None
) -> bytes:
    """A real .docx written by python-docx."""
    import docx

    document = docx.Document()
    if title:
        document.add_heading(title, level=0)
    for i, paragraph in enumerate(paragraphs):
        document.add_paragraph(paragraph)
        if table and i == 0:
            grid = document.add_table(rows=len(table), cols=len(table[0]))
            for r, row in enumerate(table):
                for c, cell in enumerate(row):
                    grid.cell(r, c).text = cell
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def make_pdf(paragraphs: list[str], *, title: str | None = None) -> bytes:
    """A real multi-page PDF written by fpdf2 with a Unicode font (umlauts, „…“)."""
    from fpdf import FPDF

    pdf = FPDF(format=(148, 210))  # A5 in mm: the article spans several pages
    pdf.add_font("DejaVu", "", str(UNICODE_FONT))
    pdf.set_font("DejaVu", size=10)
    if title:
        pdf.set_title(title)
    pdf.add_page()
    for paragraph in paragraphs:
        pdf.multi_cell(0, 5, paragraph)
        pdf.ln(4)
    return bytes(pdf.output())


def make_html(title: str, paragraphs: list[str]) -> bytes:
    """A news page with the boilerplate real sites have: nav, ads, most-read list, footer, scripts."""
    from html import escape

    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    page = f"""<!DOCTYPE html>
<html lang="de"><head><meta charset="utf-8"><title>{escape(title)} | Tech-Magazin</title>
<meta property="article:published_time" content="2025-11-12T08:30:00+01:00">
<script>window.tracking = "NAVSCRIPT-SENTINEL";</script>
<style>.ad {{ color: red }}</style></head>
<body>
<header><nav><ul><li><a href="/">Startseite</a></li><li><a href="/tech">NAV-SENTINEL Technik</a></li>
<li><a href="/wirtschaft">Wirtschaft</a></li><li><a href="/abo">Abo</a></li></ul></nav></header>
<div class="ad" id="ad-top">ADVERT-SENTINEL Jetzt Kredit sichern!</div>
<main><article>
<h1>{escape(title)}</h1>
<p class="byline">Von Redaktion, 12. November 2025</p>
{body}
</article>
<aside class="most-read"><h2>Meistgelesen</h2><ol>
<li><a href="/a">MOSTREAD-SENTINEL Diese Aktie explodiert</a></li>
<li><a href="/b">MOSTREAD-SENTINEL Zehn Tipps fürs Sparen</a></li></ol></aside>
</main>
<footer><p>FOOTER-SENTINEL © 2025 Tech-Magazin GmbH · Impressum · Datenschutz</p></footer>
<script>console.log("SCRIPT-SENTINEL")</script>
</body></html>"""
    return page.encode("utf-8")
