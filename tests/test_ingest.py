"""Ingest: every supported format built from the sample article, and every kind of bad input."""

from __future__ import annotations

import io
import re
import zipfile

import pytest
from conftest import make_docx, make_html, make_pdf

from pipeline.ingest import (
    MAX_FILE_BYTES,
    MAX_TEXT_CHARS,
    IngestError,
    detect_language,
    document_from_text,
    read_document,
)


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _assert_full_article(doc, sample_paragraphs):
    """Every paragraph of the sample, in order, with umlauts and German quotes intact."""
    assert doc.language == "de"
    flat = " ".join(doc.text.split())
    position = 0
    for paragraph in sample_paragraphs:
        found = flat.find(" ".join(paragraph.split()), position)
        assert found >= 0, f"missing paragraph: {paragraph[:60]}"
        position = found
    for marker in ("„DeepSeek", "Gründer", "größte", "Höhenflug", "Großgesellschafter"):
        assert marker in doc.text


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252"])
def test_txt_encodings_decode_to_the_same_text(sample_text, sample_paragraphs, encoding):
    data = sample_text.replace("\n", "\r\n").encode(encoding)
    doc = read_document(data, "luma.txt")
    assert doc.format == "txt"
    assert "\r" not in doc.text
    _assert_full_article(doc, sample_paragraphs)
    assert doc.text == read_document(sample_text.encode("utf-8"), "luma.txt").text
    assert doc.title.startswith("US-Firma Luma: „DeepSeek")


def test_latin1_text_keeps_umlauts():
    text = "Die Bürger in München äußern sich über die Größe des Marktes. " * 5
    doc = read_document(text.encode("latin-1"), "muenchen.txt")
    assert "Bürger in München äußern" in doc.text
    assert doc.language == "de"


def test_utf8_with_a_stray_byte_keeps_its_umlauts():
    text = "Grüße aus Köln: Die Bürger äußern sich über München und Düsseldorf. " * 10
    data = text.encode("utf-8") + b"\xff Ende."
    doc = read_document(data, "damaged.txt")
    assert "Grüße aus Köln" in doc.text and "Ã" not in doc.text
    assert doc.language == "de"


def test_control_characters_are_removed():
    doc = document_from_text("\x1b[31mRoter Titel\x1b[0m\n\nDer Text\x07 über Berlin.\tEnde")
    assert "\x1b" not in doc.text and "\x07" not in doc.text
    assert doc.text.startswith("[31mRoter Titel[0m") and "\tEnde" in doc.text


def test_markdown_drops_markup_and_takes_heading_as_title(sample_paragraphs):
    title, *body = sample_paragraphs
    source = f"# {title}\n\n" + "\n\n".join(body[:3]).replace("Amit Jain", "**Amit Jain**")
    source += "\n\n[Mehr zu Luma](https://example.com/luma)\n\n![Bild](bild.png)\n"
    doc = read_document(source.encode(), "luma.md")
    assert doc.format == "md"
    assert doc.title == title
    assert "Amit Jain" in doc.text and "**" not in doc.text and "#" not in doc.text
    assert "Mehr zu Luma" in doc.text and "https://" not in doc.text and "bild.png" not in doc.text


def test_html_page_yields_article_without_boilerplate(sample_paragraphs):
    title, *body = sample_paragraphs
    doc = read_document(make_html(title, body), "luma.html")
    assert doc.format == "html"
    assert doc.title.startswith("US-Firma Luma")
    assert doc.date == "2025-11-12"
    _assert_full_article(doc, sample_paragraphs)
    for sentinel in (
        "NAV-SENTINEL",
        "ADVERT-SENTINEL",
        "MOSTREAD-SENTINEL",
        "FOOTER-SENTINEL",
        "SCRIPT-SENTINEL",
        "NAVSCRIPT-SENTINEL",
        "Meistgelesen",
    ):
        assert sentinel not in doc.text


def test_docx_paragraphs_tables_and_heading(sample_paragraphs):
    title, *body = sample_paragraphs
    table = [["Firma", "Bewertung"], ["Luma", "4 Mrd. Dollar"]]
    doc = read_document(make_docx(body, title=title, table=table), "luma.docx")
    assert doc.format == "docx"
    assert doc.title == title
    _assert_full_article(doc, sample_paragraphs)
    assert "Luma | 4 Mrd. Dollar" in doc.text
    # the table sits after the first paragraph, before the second
    assert (
        doc.text.index(body[0][:40])
        < doc.text.index("Luma | 4 Mrd.")
        < doc.text.index(body[1][:40])
    )


def test_pdf_all_pages_and_hyphenation_repaired(sample_paragraphs):
    title, *body = sample_paragraphs
    data = make_pdf(body, title=title)
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(data)).pages) >= 3  # A5: the article spans several pages
    doc = read_document(data, "luma.pdf")
    assert doc.format == "pdf"
    assert doc.title == title
    _assert_full_article(doc, sample_paragraphs)
    # the last paragraph (on the last page) is there
    assert "Wir brauchen mehr Kapital" in doc.text


def test_pdf_line_end_hyphen_joined():
    from pipeline.ingest import _reflow_pdf_text

    text = (
        "Die Finanzierungs-\nrunde war groß, sagt der US-\nUnternehmer heute in einer langen Zeile."
    )
    assert _reflow_pdf_text(text) == (
        "Die Finanzierungsrunde war groß, sagt der US-Unternehmer heute in einer langen Zeile."
    )


def test_pasted_text_and_language_notice():
    german = document_from_text("Der Kanzler sprach am Montag in Berlin über die Wirtschaft.")
    assert german.language == "de" and german.notices == [] and german.source == "pasted text"
    english = document_from_text(
        "The chancellor spoke in Berlin on Monday about the economy and the budget."
    )
    assert english.language == "en"
    assert any("reduced quality" in n for n in english.notices)


def test_title_is_prepended_when_missing_from_text():
    body = "Luma ist ein Start-up aus Kalifornien, das Videomodelle baut."
    doc = document_from_text(body, title="Ein Titel über Luma")
    assert doc.text == "Ein Titel über Luma\n\n" + body
    assert document_from_text("Titel\n\n" + body, title="Titel").text == "Titel\n\n" + body


def test_overlong_text_is_cut_with_notice():
    paragraph = "Luma baut Videomodelle in Kalifornien und wächst schnell. " * 20
    doc = document_from_text("\n\n".join([paragraph] * 300))
    assert len(doc.text) <= MAX_TEXT_CHARS
    assert any("analysed" in n for n in doc.notices)


def test_detect_language_on_numbers_only():
    assert detect_language("12345 678")[0] == "unknown"


# ----------------------------------------------------------------------------- bad input


def _zip_bomb_docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b" " * (300 * 1024 * 1024))
    return buffer.getvalue()


BAD_INPUTS = {
    "empty": (b"", "a.txt", "empty"),
    "whitespace": (b"  \n\t \r\n ", "a.txt", "empty"),
    "binary": (bytes(range(256)) * 40, "a.txt", "binary"),
    "binary-no-ext": (b"\x7fELF\x02\x01\x01" + bytes(500), "program", "unsupported"),
    "fake-docx": (b"This is not a zip file at all, just text.", "report.docx", "not a valid Word"),
    "zip-not-docx": (None, "report.docx", "lacks word/document.xml"),
    "zip-bomb": ("bomb", "bomb.docx", "zip bomb"),
    "fake-pdf": (b"Just some text pretending to be a PDF.", "paper.pdf", "not a valid PDF"),
    "broken-pdf": (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> garbage \x00\x01", "paper.pdf", "PDF"),
    "html-no-text": (
        b"<html><head><script>x()</script></head><body><nav><a href='/'>Home</a> "
        b"<a href='/k'>Kontakt</a></nav><button>OK</button></body></html>",
        "page.html",
        "no article text",
    ),
    "too-large": (b"a" * (MAX_FILE_BYTES + 1), "huge.txt", "limit is 10 MB"),
}


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_gives_one_clear_message(case):
    data, name, expected = BAD_INPUTS[case]
    if case == "zip-not-docx":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hi")
        data = buffer.getvalue()
    elif data == "bomb":
        data = _zip_bomb_docx()
    with pytest.raises(IngestError) as info:
        read_document(data, name)
    message = str(info.value)
    assert expected.lower() in message.lower()
    assert message.startswith(name)
    assert "Traceback" not in message and "\n" not in message


def test_truncated_docx_is_reported_as_damaged(sample_paragraphs):
    data = make_docx(sample_paragraphs)
    with pytest.raises(IngestError, match="docx"):
        read_document(data[: len(data) // 2], "cut.docx")


def test_truncated_pdf_is_reported(sample_paragraphs):
    data = make_pdf(sample_paragraphs)
    with pytest.raises(IngestError, match="PDF"):
        read_document(data[:400], "cut.pdf")
