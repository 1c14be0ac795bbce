"""Ingest: bytes + file name (or pasted text) → ``Document``.

One entry point per kind of input:

- ``read_document(data, filename)`` for uploads and files (txt, md, html, docx, pdf);
- ``read_path(path)`` for the CLI;
- ``document_from_text(text)`` for pasted text and corpus rows.

Every failure a user can cause raises ``IngestError`` with a message meant for that user,
never a parser's traceback. Limits are stated in README.md and .streamlit/config.toml.
"""

from __future__ import annotations

import functools
import io
import re
import unicodedata
import zipfile
from pathlib import Path

from pipeline.model import Document

MAX_FILE_BYTES = 10 * 1024 * 1024  # the page's upload limit too (server.maxUploadSize = 10)
MAX_TEXT_CHARS = 200_000  # analysed characters; longer texts are cut at a paragraph break
MAX_DOCX_UNCOMPRESSED = 50 * 1024 * 1024  # zip-bomb guard, checked before parsing
MAX_ZIP_RATIO = 200
MIN_HTML_WORDS = 5  # a member expanding more than this is treated as a zip bomb

FORMATS = {
    ".txt": "txt",
    ".text": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".pdf": "pdf",
}
SUPPORTED = "txt, md, html, docx, pdf"


class IngestError(ValueError):
    """Input that cannot become a Document; ``str(err)`` is shown to the user as is."""


# --------------------------------------------------------------------------- public API


def read_path(path: str | Path) -> Document:
    """Read a file from disk (the CLI's entry point)."""
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as err:
        raise IngestError(f"{path}: cannot read the file ({err.strerror or err}).") from None
    if path.is_dir():
        raise IngestError(f"{path}: is a folder, not a file.")
    _check_size(size, path.name)
    return read_document(path.read_bytes(), path.name)


def read_document(data: bytes, filename: str) -> Document:
    """Turn an uploaded file into a Document, choosing the reader by the file's ending."""
    name = Path(filename).name or "upload"
    _check_size(len(data), name)
    if not data or not data.strip():
        raise IngestError(f"{name}: the file is empty.")
    fmt = FORMATS.get(Path(name).suffix.lower())
    if fmt is None:
        fmt = _sniff_format(data)
        if fmt is None:
            raise IngestError(f"{name}: unsupported file type. Supported: {SUPPORTED}.")
    reader = _READERS[fmt]
    title, text, date = reader(data, name)
    return _make_document(text, title=title, source=name, fmt=fmt, date=date)


def document_from_text(
    text: str, *, source: str = "pasted text", title: str = "", date: str | None = None
) -> Document:
    """Pasted text (or a corpus row's ``title + "\\n\\n" + body``) as a Document."""
    if not isinstance(text, str):
        raise IngestError("Expected text.")
    return _make_document(text, title=title, source=source, fmt="text", date=date)


# --------------------------------------------------------------------------- readers


# Each reader returns (title, text, publication date); "" / None where the format has none.


def _read_plain(data: bytes, name: str) -> tuple[str, str, None]:
    return "", decode_text(data, name), None


def _read_markdown(data: bytes, name: str) -> tuple[str, str, None]:
    source = decode_text(data, name)
    text, title = _markdown_to_text(source)
    return title, text, None


def _read_html(data: bytes, name: str) -> tuple[str, str, str | None]:
    import trafilatura

    markup = decode_text(data, name) if not data.lstrip().startswith(b"<?xml") else data
    try:
        result = trafilatura.bare_extraction(
            markup,
            include_comments=False,
            include_tables=True,
            with_metadata=True,
            favor_precision=True,
        )
    except Exception:  # trafilatura/lxml raise many types on broken markup
        result = None
    if result is None:
        raise IngestError(f"{name}: no article text found in this HTML page.")
    title = (getattr(result, "title", None) or "").strip()
    text = (getattr(result, "text", None) or "").strip()
    # A few stray words are menu or button labels, not an article.
    if len(re.findall(r"[^\W\d_]{2,}", text)) < MIN_HTML_WORDS:
        raise IngestError(f"{name}: no article text found in this HTML page.")
    date = (getattr(result, "date", None) or "")[:10] or None
    return title, text, date


def _read_docx(data: bytes, name: str) -> tuple[str, str, None]:
    _check_zip(data, name, required="word/document.xml", kind="Word document (.docx)")
    import docx
    from docx.table import Table

    try:
        document = docx.Document(io.BytesIO(data))
    except Exception:
        raise IngestError(
            f"{name}: not a valid Word document (.docx); the file is damaged."
        ) from None
    title = ""
    blocks: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            for row in block.rows:
                cells = _unique_cells(cell.text.strip() for cell in row.cells)
                if cells:
                    blocks.append(" | ".join(cells))
            continue
        text = block.text.strip()
        if not text:
            continue
        style = (block.style.name if block.style is not None else "") or ""
        if not title and (style.startswith("Title") or style.startswith("Heading")):
            title = text
        blocks.append(text)
    if not title:
        title = (document.core_properties.title or "").strip()
    return title, "\n\n".join(blocks), None


def _read_pdf(data: bytes, name: str) -> tuple[str, str, None]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise IngestError(f"{name}: not a valid PDF file.")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(f"{name}: the PDF is password-protected.")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta_title = ((reader.metadata or {}).get("/Title") or "").strip()
    except IngestError:
        raise
    except (PdfReadError, Exception):  # pypdf raises assorted errors on damaged files
        raise IngestError(f"{name}: the PDF is damaged and cannot be read.") from None
    text = _reflow_pdf_text("\n".join(pages))
    if not text.strip():
        raise IngestError(f"{name}: the PDF contains no extractable text (is it a scanned image?).")
    return str(meta_title), text, None


_READERS = {
    "txt": _read_plain,
    "md": _read_markdown,
    "html": _read_html,
    "docx": _read_docx,
    "pdf": _read_pdf,
}


# --------------------------------------------------------------------------- helpers


def _check_size(size: int, name: str) -> None:
    if size > MAX_FILE_BYTES:
        raise IngestError(
            f"{name}: the file is {size / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_FILE_BYTES // 1024 // 1024} MB."
        )


def _sniff_format(data: bytes) -> str | None:
    head = data.lstrip()[:512].lower()
    if head.startswith(b"%pdf"):
        return "pdf"
    if head.startswith(b"pk\x03\x04"):
        return "docx"
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return None


def _check_zip(data: bytes, name: str, *, required: str, kind: str) -> None:
    """Reject fakes and zip bombs before a parser expands anything."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise IngestError(f"{name}: not a valid {kind}; the file is damaged or of another type.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError):
        raise IngestError(f"{name}: not a valid {kind}; the file is damaged.") from None
    if required not in {m.filename for m in members}:
        raise IngestError(f"{name}: not a valid {kind}; it lacks {required}.")
    total = sum(m.file_size for m in members)
    ratio = max((m.file_size / max(m.compress_size, 1) for m in members), default=0)
    if total > MAX_DOCX_UNCOMPRESSED or ratio > MAX_ZIP_RATIO:
        raise IngestError(
            f"{name}: the document would expand to {total / 1024 / 1024:.0f} MB; "
            "refusing it as a possible zip bomb."
        )


def _unique_cells(cells) -> list[str]:
    """Merged cells repeat their text in python-docx; keep each once per row."""
    seen: list[str] = []
    for cell in cells:
        if cell and cell not in seen:
            seen.append(cell)
    return seen


_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def decode_text(data: bytes, name: str) -> str:
    """Bytes → str: BOMs, UTF-8, BOM-less UTF-16, then Windows-1252 (German legacy text)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _check_text(data[len(bom) :].decode(encoding, errors="replace"), name)
    utf16 = _bomless_utf16(data)
    if utf16:
        return _check_text(data.decode(utf16, errors="replace"), name)
    if b"\x00" in data:
        raise IngestError(f"{name}: this does not look like text (binary data).")
    try:
        return _check_text(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        pass
    # UTF-8 with a few stray bytes (a damaged copy) stays UTF-8: reading it all as cp1252
    # would turn every umlaut into mojibake.
    lenient = data.decode("utf-8", errors="replace")
    stray = lenient.count("\ufffd")
    multibyte = sum(1 for ch in lenient if ord(ch) > 0x7F) - stray
    if multibyte > 0 and stray <= max(2, multibyte // 20):
        return _check_text(lenient, name)
    from charset_normalizer import from_bytes

    best = from_bytes(data, cp_isolation=["cp1252", "latin_1", "iso8859_15", "cp850", "mac_roman"])
    match = best.best()
    encoding = match.encoding if match is not None else "cp1252"
    # cp1252 is a superset of latin-1 for printable text and has „ “ – €; prefer it.
    if encoding in ("latin_1", "iso8859_15", "iso8859_1"):
        encoding = "cp1252"
    return _check_text(data.decode(encoding, errors="replace"), name)


def _bomless_utf16(data: bytes) -> str | None:
    sample = data[:4096]
    if len(sample) < 4:
        return None
    even_nuls = sample[0::2].count(0) / len(sample[0::2])
    odd_nuls = sample[1::2].count(0) / len(sample[1::2])
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _check_text(text: str, name: str) -> str:
    """Decoded text that is mostly control characters is binary data in disguise."""
    sample = text[:20000]
    if sample:
        controls = sum(
            1 for ch in sample if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f"
        )
        replaced = sample.count("\ufffd")
        if (controls + replaced) / len(sample) > 0.05:
            raise IngestError(f"{name}: this does not look like text (binary data).")
    return text


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")


def _markdown_to_text(source: str) -> tuple[str, str]:
    """Markdown → plain paragraphs (links keep their text, markup dropped) and the first heading."""
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").enable("table").parse(_MD_IMAGE.sub("", source))
    blocks: list[str] = []
    title = ""
    in_heading = False
    for token in tokens:
        if token.type == "heading_open":
            in_heading = True
        elif token.type == "heading_close":
            in_heading = False
        elif token.type == "inline":
            text = "".join(
                child.content
                if child.type in ("text", "code_inline")
                else ("\n" if child.type in ("softbreak", "hardbreak") else "")
                for child in token.children or []
            ).strip()
            if text:
                if in_heading and not title:
                    title = text
                blocks.append(text)
        elif token.type in ("fence", "code_block") and token.content.strip():
            blocks.append(token.content.strip())
    return "\n\n".join(blocks), title


_HYPHEN_BREAK = re.compile(r"(\w)-\n(?=[a-zäöüß])")
_SPACES = re.compile(r"[ \t\u00a0]{2,}")  # justified PDF lines come out with runs of spaces


def _reflow_pdf_text(text: str) -> str:
    """Join PDF lines into paragraphs and repair words hyphenated at line ends.

    A hyphen before a lowercase continuation was a line-end break ("Unter-\\nnehmen");
    before an uppercase one it belongs to a compound ("US-\\nUnternehmer"), so it stays.
    A line much shorter than the typical line ends a paragraph.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _HYPHEN_BREAK.sub(r"\1", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    lengths = sorted(len(line) for line in lines if line)
    if not lengths:
        return ""
    typical = lengths[int(len(lengths) * 0.8)]
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line:
            if current:
                paragraphs.append(" ".join(current))
                current = []
            continue
        if current and current[-1].endswith("-") and line[:1].isupper():
            current[-1] = current[-1] + line  # compound split at its hyphen
        else:
            current.append(line)
        if len(line) < 0.6 * typical:
            paragraphs.append(" ".join(current))
            current = []
    if current:
        paragraphs.append(" ".join(current))
    return "\n".join(paragraphs)


# Control characters (terminal escapes, NULs) have no place in an article; tab and newline do.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRAILING_SPACE = re.compile(r"[ \t]+\n")
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def normalize_text(text: str) -> str:
    """One newline convention, no trailing spaces, at most one blank line, NFC."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n")
    text = _CONTROL_CHARS.sub("", text).replace("\ufeff", "")
    text = _TRAILING_SPACE.sub("\n", text)
    text = _MANY_BLANK_LINES.sub("\n\n", text)
    return text.strip()


def _make_document(
    text: str, *, title: str, source: str, fmt: str, date: str | None = None
) -> Document:
    text = normalize_text(text)
    if not text:
        raise IngestError(
            f"{source}: contains no text."
            if fmt in ("txt", "text")
            else f"{source}: contains no article text."
        )
    title = normalize_text(title).replace("\n", " ")
    first_line = text.split("\n", 1)[0].strip()
    if title and not text.startswith(title):
        # The headline belongs to the analysed text: headline quotes and names live there.
        text = f"{title}\n\n{text}"
    elif not title:
        title = first_line[:200]
    notices: list[str] = []
    if len(text) > MAX_TEXT_CHARS:
        cut = text.rfind("\n", 0, MAX_TEXT_CHARS)
        text = text[: cut if cut > MAX_TEXT_CHARS // 2 else MAX_TEXT_CHARS].rstrip()
        notices.append(
            f"The text is longer than {MAX_TEXT_CHARS:,} characters; only the first "
            f"{len(text):,} are analysed."
        )
    language, confidence = detect_language(text)
    if language != "de":
        label = LANGUAGE_NAMES.get(language, language)
        notices.append(
            f"Detected language: {label}. NewsLens is tuned for German; entities and quotes "
            "in other languages are found with reduced quality."
        )
    return Document(
        text=text,
        source=source,
        format=fmt,
        title=title,
        language=language,
        language_confidence=confidence,
        date=date,
        notices=notices,
    )


# --------------------------------------------------------------------------- language id

LANGUAGE_NAMES = {
    "de": "German",
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "it": "Italian",
    "nl": "Dutch",
    "pl": "Polish",
    "pt": "Portuguese",
    "tr": "Turkish",
    "ru": "Russian",
    "sv": "Swedish",
    "da": "Danish",
    "unknown": "unknown",
}


SHORT_TEXT_CHARS = 200


@functools.lru_cache(maxsize=2)
def _language_detector(accurate: bool = False):
    from lingua import Language, LanguageDetectorBuilder

    languages = [
        Language.GERMAN,
        Language.ENGLISH,
        Language.FRENCH,
        Language.SPANISH,
        Language.ITALIAN,
        Language.DUTCH,
        Language.POLISH,
        Language.PORTUGUESE,
        Language.TURKISH,
        Language.RUSSIAN,
        Language.SWEDISH,
        Language.DANISH,
    ]
    builder = LanguageDetectorBuilder.from_languages(*languages)
    # Low-accuracy mode loads in a tenth of the time (cold start, every batch worker) and
    # agrees with the full models on article-length text; only short snippets need the rest.
    return builder.build() if accurate else builder.with_low_accuracy_mode().build()


def detect_language(text: str) -> tuple[str, float]:
    """ISO 639-1 code and confidence of the text's language, offline (lingua)."""
    sample = text[:3000]
    if not re.search(r"[^\W\d_]{2}", sample):
        return "unknown", 0.0
    detector = _language_detector(accurate=len(sample) < SHORT_TEXT_CHARS)
    values = detector.compute_language_confidence_values(sample)
    if not values:
        return "unknown", 0.0
    best = values[0]
    return best.language.iso_code_639_1.name.lower(), round(float(best.value), 3)
