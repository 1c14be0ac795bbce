"""Batch CLI: JSONL/folder input, JSONL/Parquet output, errors recorded, resume, CLI wiring."""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import time

import pytest
from conftest import SAMPLE_PATH, make_html, xglue_articles

from pipeline import analyze_many, batch, cli, tables
from pipeline import library as library_module
from pipeline.ingest import IngestError, document_from_text, read_document
from pipeline.model import Analysis

N_ARTICLES = 8


@pytest.fixture(scope="module")
def corpus_rows() -> list[dict]:
    return xglue_articles(N_ARTICLES)


def _write_jsonl(path, rows) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), "utf-8")


def _without_timings(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "timings"} for r in rows]


def _ingest_error(fn, *args, **kwargs) -> str:
    with pytest.raises(IngestError) as info:
        fn(*args, **kwargs)
    return str(info.value)


@pytest.fixture(scope="module")
def reference(corpus_rows) -> list[dict]:
    """What analyze_many gives for the same articles, as output rows."""
    documents = [
        document_from_text(r["body"], source=r["id"], title=r["title"]) for r in corpus_rows
    ]
    return [a.to_dict() for a in analyze_many(documents)]


@pytest.fixture()
def corpus_jsonl(tmp_path, corpus_rows):
    path = tmp_path / "articles.jsonl"
    _write_jsonl(path, corpus_rows)
    return path


def test_jsonl_to_jsonl_matches_analyze_many(tmp_path, corpus_jsonl, corpus_rows, reference):
    out = tmp_path / "out.jsonl"
    summary = batch.run_batch(corpus_jsonl, out, progress=False, chunk_size=3)
    rows = batch.read_output(out)

    assert (summary.analysed, summary.errors, summary.skipped) == (N_ARTICLES, 0, 0)
    assert [r["input_id"] for r in rows] == [r["id"] for r in corpus_rows]
    assert all(r["error"] is None for r in rows)
    expected = [
        {**r, "input_id": c["id"], "error": None}
        for r, c in zip(reference, corpus_rows, strict=True)
    ]
    assert _without_timings(rows) == _without_timings(expected)
    # Every row is a full analysis the rest of the app can load.
    assert Analysis.from_dict(rows[0]).document.title == corpus_rows[0]["title"]
    assert summary.words == sum(len(r["text"].split()) for r in rows)


def test_bad_lines_are_recorded_and_the_run_goes_on(tmp_path, corpus_rows):
    path = tmp_path / "mixed.jsonl"
    good = corpus_rows[:2]
    lines = [
        json.dumps(good[0]),
        "{not json",
        json.dumps({"id": "empty-body", "title": "", "body": "   "}),
        json.dumps({"id": "no-text", "title": "Nur ein Titel"}),
        json.dumps(good[1]),
    ]
    path.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "mixed.jsonl.out.jsonl"
    summary = batch.run_batch(path, out, progress=False)
    rows = {r["input_id"]: r for r in batch.read_output(out)}

    assert (summary.analysed, summary.errors) == (2, 3)
    assert rows[good[0]["id"]]["error"] is None and rows[good[1]["id"]]["error"] is None
    assert rows["line-2"]["error"].startswith("invalid JSON")
    assert rows["empty-body"]["error"] == _ingest_error(
        document_from_text, "   ", source="empty-body"
    )
    assert "no 'text' or 'body'" in rows["no-text"]["error"]
    assert all(rows[k]["id"] is None for k in ("line-2", "empty-body", "no-text"))


LEGACY_TEXT = (
    "Die Müller-Brot GmbH übernimmt die Bäckerei Schäfer für 5 Mio. €. „Wir freuen uns "
    "über die Übernahme“, sagte Geschäftsführerin Jördis Weiß am Dienstag in München."
)


def test_a_non_utf8_line_is_decoded_and_does_not_stop_the_run(tmp_path, corpus_rows):
    path = tmp_path / "legacy.jsonl"
    good = corpus_rows[:2]
    legacy = {"id": "cp1252", "title": "Übernahme", "body": LEGACY_TEXT}
    lines = [
        json.dumps(good[0], ensure_ascii=False).encode("utf-8"),
        json.dumps(legacy, ensure_ascii=False).encode("cp1252"),  # an old Windows export
        b'{"id": "binary", "body": "\x00\xff\xfe\x81\x00"}',  # not text in any encoding
        json.dumps(good[1], ensure_ascii=False).encode("utf-8"),
    ]
    path.write_bytes(b"\n".join(lines) + b"\n")
    out = tmp_path / "out.jsonl"

    assert batch.count_items(path) == 4
    summary = batch.run_batch(path, out, progress=False)
    rows = {r["input_id"]: r for r in batch.read_output(out)}

    assert (summary.total, summary.analysed, summary.errors) == (4, 3, 1)
    assert list(rows) == [good[0]["id"], "cp1252", "line-3", good[1]["id"]]
    assert rows["cp1252"]["error"] is None
    expected = document_from_text(LEGACY_TEXT, source="cp1252", title="Übernahme")
    assert rows["cp1252"]["text"] == expected.text  # umlauts, „“ and € decoded right
    assert rows["cp1252"]["title"] == "Übernahme"
    assert rows["line-3"]["id"] is None
    assert rows["line-3"]["error"].startswith("undecodable line: legacy.jsonl:3:")
    assert rows[good[0]["id"]]["error"] is None and rows[good[1]["id"]]["error"] is None


def test_a_byte_order_mark_on_the_first_line_is_not_an_error(tmp_path, corpus_rows):
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(corpus_rows[0]).encode() + b"\n")
    summary = batch.run_batch(path, tmp_path / "out.jsonl", progress=False)
    assert (summary.analysed, summary.errors) == (1, 0)


def test_output_that_is_the_input_is_refused(tmp_path, corpus_jsonl, capsys):
    before = corpus_jsonl.read_bytes()
    with pytest.raises(batch.BatchUsageError, match="is the input file"):
        batch.run_batch(corpus_jsonl, corpus_jsonl, progress=False)
    # The same file under another spelling, and the Parquet checkpoint landing on the input.
    other_spelling = tmp_path / "sub" / ".." / corpus_jsonl.name
    with pytest.raises(batch.BatchUsageError, match="is the input file"):
        batch.run_batch(corpus_jsonl, other_spelling, progress=False)
    link = tmp_path / "link.jsonl"
    link.symlink_to(corpus_jsonl)
    with pytest.raises(batch.BatchUsageError, match="is the input file"):
        batch.run_batch(corpus_jsonl, link, progress=False)
    checkpoint_input = tmp_path / "o.parquet.partial.jsonl"
    checkpoint_input.write_bytes(before)
    with pytest.raises(batch.BatchUsageError, match="is the input file"):
        batch.run_batch(checkpoint_input, tmp_path / "o.parquet", progress=False)
    assert checkpoint_input.read_bytes() == before
    assert corpus_jsonl.read_bytes() == before

    assert cli.main(["batch", str(corpus_jsonl), "--out", str(corpus_jsonl), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: output ") and err.count("\n") == 1, err
    assert corpus_jsonl.read_bytes() == before


def test_output_inside_the_input_folder_is_refused(tmp_path, capsys):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "luma.txt").write_bytes(SAMPLE_PATH.read_bytes())
    for out in (
        folder / "out.jsonl",
        folder / "deeper" / "out.parquet",
        tmp_path / "x/../in/o.jsonl",
    ):
        with pytest.raises(batch.BatchUsageError, match="inside the input folder"):
            batch.run_batch(folder, out, progress=False)
    assert sorted(p.name for p in folder.rglob("*")) == ["luma.txt"]

    assert cli.main(["batch", str(folder), "--out", str(folder / "out.jsonl"), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "inside the input folder" in err and err.count("\n") == 1, err
    # Beside the folder is fine.
    assert batch.run_batch(folder, tmp_path / "in.jsonl", progress=False).analysed == 1


def test_folder_input_reads_every_format_and_records_bad_files(tmp_path, sample_text):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "luma.txt").write_bytes(SAMPLE_PATH.read_bytes())
    page = make_html("Luma", [p for p in sample_text.split("\n") if p.strip()][:4])
    (folder / "sub" / "page.html").write_bytes(page)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "data.xyz").write_bytes(bytes(range(256)))
    (folder / ".hidden.txt").write_text("ignored", "utf-8")
    out = tmp_path / "folder.jsonl"

    summary = batch.run_batch(folder, out, progress=False)
    rows = {r["input_id"]: r for r in batch.read_output(out)}

    assert sorted(rows) == ["data.xyz", "empty.txt", "luma.txt", "sub/page.html"]
    assert summary.total == 4 and summary.analysed == 2 and summary.errors == 2
    assert rows["luma.txt"]["text"] == read_document(SAMPLE_PATH.read_bytes(), "luma.txt").text
    assert rows["sub/page.html"]["format"] == "html"
    assert rows["empty.txt"]["error"] == _ingest_error(read_document, b"", "empty.txt")
    assert rows["data.xyz"]["error"] == _ingest_error(read_document, bytes(range(256)), "data.xyz")


def test_interrupted_jsonl_run_resumes_without_redoing_work(tmp_path, corpus_jsonl, reference):
    out = tmp_path / "out.jsonl"
    batch.run_batch(corpus_jsonl, out, progress=False)
    complete = out.read_text("utf-8").splitlines(keepends=True)
    # As if killed while writing line 4: three whole lines and a torn one.
    out.write_text("".join(complete[:3]) + complete[3][:50], "utf-8")

    summary = batch.run_batch(corpus_jsonl, out, progress=False)

    assert (summary.skipped, summary.analysed) == (3, N_ARTICLES - 3)
    rows = batch.read_output(out)
    assert len(rows) == N_ARTICLES  # the torn line was cut, not kept or duplicated
    assert _without_timings(rows) == _without_timings([json.loads(line) for line in complete])
    again = batch.run_batch(corpus_jsonl, out, progress=False)
    assert (again.skipped, again.analysed) == (N_ARTICLES, 0)


def test_resume_keeps_rows_after_a_bad_middle_line(tmp_path, corpus_jsonl):
    out = tmp_path / "out.jsonl"
    batch.run_batch(corpus_jsonl, out, progress=False)
    complete = out.read_bytes().splitlines(keepends=True)
    # Row 2 was overwritten by garbage (one not even UTF-8), the run died writing row 7.
    damaged = [
        complete[0],
        b"{not json\n",
        b"\xff\xfe garbage\n",
        *complete[2:6],
        complete[6][:50],
    ]
    out.write_bytes(b"".join(damaged))

    summary = batch.run_batch(corpus_jsonl, out, progress=False)

    assert (summary.skipped, summary.analysed) == (5, N_ARTICLES - 5)
    lines = out.read_bytes().splitlines(keepends=True)
    assert lines[:7] == damaged[:7]  # the valid rows after the bad lines are all still there
    assert complete[6][:50] + b"\n" not in lines and len(lines) == 7 + 3  # torn line cut
    assert any("2 unreadable line(s)" in w and "line 2, 3" in w for w in summary.warnings)
    rows = batch.read_output(out)
    original = {r["input_id"]: r for r in (json.loads(line) for line in complete)}
    assert sorted(r["input_id"] for r in rows) == sorted(original)
    assert _without_timings(rows) == _without_timings([original[r["input_id"]] for r in rows])


def test_resume_keeps_a_whole_last_row_missing_its_newline(tmp_path, corpus_jsonl):
    out = tmp_path / "out.jsonl"
    batch.run_batch(corpus_jsonl, out, progress=False)
    complete = out.read_bytes().splitlines(keepends=True)
    out.write_bytes(b"".join(complete[:2]) + complete[2].rstrip(b"\n"))

    summary = batch.run_batch(corpus_jsonl, out, progress=False)

    assert (summary.skipped, summary.analysed) == (3, N_ARTICLES - 3)
    assert out.read_bytes().startswith(b"".join(complete[:3]))
    assert len(batch.read_output(out)) == N_ARTICLES


def test_parquet_output_tables_and_resume(tmp_path, corpus_rows, corpus_jsonl, reference):
    import pandas as pd

    first = tmp_path / "first.jsonl"
    _write_jsonl(first, corpus_rows[:5])
    out = tmp_path / "out.parquet"
    batch.run_batch(first, out, progress=False)
    assert not batch.checkpoint_path(out).exists()
    # Re-running with more input analyses only the new items and rewrites the tables.
    summary = batch.run_batch(corpus_jsonl, out, progress=False)
    assert (summary.skipped, summary.analysed) == (5, N_ARTICLES - 5)

    articles = pd.read_parquet(out)
    assert list(articles.columns[:2]) == ["input_id", "id"]
    for column in ("source", "title", "language", "chars", "error", "analysis_json"):
        assert column in articles.columns
    assert list(articles["input_id"]) == [r["id"] for r in corpus_rows]
    assert articles["error"].isna().all()
    rows = batch.read_output(out)
    analyses = [Analysis.from_dict(r) for r in rows]
    assert _without_timings([a.to_dict() for a in analyses]) == _without_timings(reference)
    assert list(articles["chars"]) == [len(a.document.text) for a in analyses]

    builders = {
        "entities": tables.entities_frame,
        "quotes": tables.quotes_frame,
        "companies": tables.companies_frame,
    }
    for name, build in builders.items():
        stored = pd.read_parquet(batch.sibling_path(out, name))
        assert stored.columns[0] == "id"
        assert len(stored) == sum(len(build(a)) for a in analyses)
        for a in analyses:
            mine = stored[stored["id"] == a.doc_id].drop(columns="id").reset_index(drop=True)
            assert len(mine) == len(build(a))


def test_interrupted_parquet_run_finishes_from_its_checkpoint(tmp_path, corpus_jsonl):
    import pandas as pd

    out = tmp_path / "out.parquet"
    checkpoint = batch.checkpoint_path(out)
    batch.run_batch(corpus_jsonl, tmp_path / "done.jsonl", progress=False)
    # A killed Parquet run leaves only its checkpoint: here, the first two articles.
    lines = (tmp_path / "done.jsonl").read_text("utf-8").splitlines(keepends=True)
    checkpoint.write_text("".join(lines[:2]), "utf-8")

    summary = batch.run_batch(corpus_jsonl, out, progress=False)

    assert (summary.skipped, summary.analysed) == (2, N_ARTICLES - 2)
    assert not checkpoint.exists()
    assert len(pd.read_parquet(out)) == N_ARTICLES


def test_a_failing_stage_costs_only_its_article(tmp_path, corpus_jsonl, corpus_rows, monkeypatch):
    from pipeline import run

    bad_title = corpus_rows[2]["title"]
    original = run.quotes.extract_quotes

    def failing_on_one_article(doc, found, canonical):
        if doc.text.startswith(bad_title):
            raise RuntimeError("stage broke")
        return original(doc, found, canonical)

    monkeypatch.setattr(run.quotes, "extract_quotes", failing_on_one_article)
    out = tmp_path / "out.jsonl"
    summary = batch.run_batch(corpus_jsonl, out, progress=False)
    rows = batch.read_output(out)

    assert (summary.analysed, summary.errors) == (N_ARTICLES - 1, 1)
    assert rows[2]["error"] == "analysis failed: RuntimeError: stage broke"
    assert [r["error"] is None for r in rows] == [i != 2 for i in range(N_ARTICLES)]


def test_local_process_pool_gives_the_same_rows(tmp_path, corpus_jsonl):
    single, pooled = tmp_path / "single.jsonl", tmp_path / "pooled.jsonl"
    batch.run_batch(corpus_jsonl, single, progress=False)
    summary = batch.run_batch(corpus_jsonl, pooled, n_process=2, chunk_size=2, progress=False)
    assert summary.analysed == N_ARTICLES
    assert _without_timings(batch.read_output(pooled)) == _without_timings(
        batch.read_output(single)
    )


def test_register_cli_adds_a_working_batch_command(tmp_path, corpus_jsonl, capsys):
    parser = argparse.ArgumentParser()
    batch.register_cli(parser.add_subparsers(dest="command", required=True))
    out = tmp_path / "cli.jsonl"
    args = parser.parse_args(["batch", str(corpus_jsonl), "--out", str(out), "--quiet"])

    assert args.func(args) == 0
    assert len(batch.read_output(out)) == N_ARTICLES
    assert f"{N_ARTICLES} analysed, 0 errors" in capsys.readouterr().err

    missing = parser.parse_args(["batch", str(tmp_path / "nope"), "--out", str(out)])
    assert missing.func(missing) == 2
    wrong = parser.parse_args(["batch", str(corpus_jsonl), "--out", str(tmp_path / "o.csv")])
    assert wrong.func(wrong) == 2
    assert "output must end in" in capsys.readouterr().err


def test_python_m_pipeline_batch_is_wired(tmp_path, corpus_jsonl):
    out = tmp_path / "main.jsonl"
    assert cli.main(["batch", str(corpus_jsonl), "--out", str(out), "--quiet"]) == 0
    assert len(batch.read_output(out)) == N_ARTICLES


def test_library_option_saves_every_analysis(tmp_path, corpus_jsonl, corpus_rows):
    library_path = tmp_path / "library.duckdb"
    out = tmp_path / "out.jsonl"
    summary = batch.run_batch(corpus_jsonl, out, library=library_path, progress=False)
    assert summary.analysed == N_ARTICLES and not summary.warnings

    library = library_module.open_library(library_path)
    try:
        stored = set(library.search("", limit=100)["id"])
    finally:
        library.close()
    assert stored == {r["id"] for r in batch.read_output(out)}


def test_ctrl_c_stops_cleanly_and_the_same_command_resumes(tmp_path):
    import pandas as pd

    rows = xglue_articles(40)
    source = tmp_path / "articles.jsonl"
    _write_jsonl(source, rows)
    out = tmp_path / "out.parquet"
    command = [sys.executable, "-m", "pipeline", "batch", str(source), "--out", str(out)]
    command += ["--chunk-size", "2", "--quiet"]
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    checkpoint = batch.checkpoint_path(out)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and process.poll() is None:
        if checkpoint.exists() and checkpoint.read_text("utf-8").count("\n") >= 2:
            break
        time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)

    assert process.returncode == 130, err
    assert "re-run the same command to resume" in err
    assert not out.exists()
    done = len(batch.read_output(checkpoint))
    assert 2 <= done < len(rows)

    summary = batch.run_batch(source, out, progress=False)
    assert (summary.skipped, summary.analysed) == (done, len(rows) - done)
    assert list(pd.read_parquet(out)["input_id"]) == [r["id"] for r in rows]
