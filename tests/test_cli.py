"""The command line, run as a user runs it: a subprocess over real files of every format."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, make_docx, make_html, make_pdf


def run_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipeline", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        input=stdin,
        timeout=600,
    )


@pytest.fixture(scope="module")
def article_files(tmp_path_factory, sample_text, sample_paragraphs):
    """The sample article in every supported format."""
    folder = tmp_path_factory.mktemp("formats")
    title, *body = sample_paragraphs
    files = {
        "utf8.txt": sample_text.encode("utf-8"),
        "utf16.txt": sample_text.encode("utf-16"),
        "cp1252.txt": sample_text.encode("cp1252"),
        "article.md": (f"# {title}\n\n" + "\n\n".join(body)).encode(),
        "page.html": make_html(title, body),
        "article.docx": make_docx(body, title=title),
        "article.pdf": make_pdf(body, title=title),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return folder, sorted(files)


def test_every_format_yields_the_full_article_in_german(article_files, sample_paragraphs):
    folder, names = article_files
    result = run_cli("analyze", *[str(folder / n) for n in names], "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in rows] == names
    for row in rows:
        assert {
            "source",
            "title",
            "language",
            "text",
            "entities",
            "quotes",
            "companies",
            "translation",
        } <= set(row)
        assert row["language"] == "de", row["source"]
        flat = " ".join(row["text"].split())
        for paragraph in sample_paragraphs:
            assert " ".join(paragraph.split()) in flat, (row["source"], paragraph[:50])
        for entity in row["entities"]:
            assert row["text"][entity["start"] : entity["end"]] == entity["text"]


def test_single_file_json_is_one_object(article_files):
    folder, _ = article_files
    result = run_cli("analyze", str(folder / "utf8.txt"), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["title"].startswith("US-Firma Luma")
    assert data["translation"] is None


def test_bad_files_fail_alone_with_one_line_each(tmp_path, article_files):
    folder, _ = article_files
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "fake.pdf").write_bytes(b"not a pdf")
    (tmp_path / "fake.docx").write_bytes(b"not a docx")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 10)
    bad = [tmp_path / n for n in ("empty.txt", "fake.pdf", "fake.docx", "binary.txt")]
    missing = tmp_path / "missing.txt"
    result = run_cli(
        "analyze", *map(str, bad), str(missing), str(folder / "utf8.txt"), "--format", "jsonl"
    )
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 5
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["source"] for r in rows] == ["utf8.txt"]


def test_stdin_and_language_notice():
    result = run_cli(
        "analyze",
        "-",
        "--format",
        "json",
        stdin="The company said on Monday that profits rose sharply in Europe.",
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["language"] == "en"
    assert "reduced quality" in result.stderr


def test_usage_error_exits_non_zero():
    result = run_cli("analyze", "x.txt", "--format", "xml")
    assert result.returncode == 2
