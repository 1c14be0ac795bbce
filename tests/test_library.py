"""The article library: persistence, transactions, bad files, migration, search, corpus views."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from itertools import combinations
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import ROOT, xglue_articles

import pipeline
from pipeline.ingest import document_from_text
from pipeline.library import (
    MIGRATIONS,
    SCHEMA_VERSION,
    ArticleNotFoundError,
    LibraryReadOnlyError,
    open_library,
)
from pipeline.model import (
    Analysis,
    CanonicalEntity,
    Company,
    Document,
    Entity,
    Figure,
    Quote,
    SentencePair,
    Translation,
)

XGLUE_IDS = ("xglue-nc-dev-0000", "xglue-nc-dev-0001", "xglue-nc-dev-0002", "xglue-nc-dev-0003")


# --- hand-built analyses: the library is under test here, not the NLP -------------------


def build_analysis(
    text: str,
    *,
    title: str = "",
    entities: tuple[tuple[str, str], ...] = (),
    quotes: tuple[tuple[str, str, str], ...] = (),  # (quoted text, speaker, kind)
    companies: tuple[tuple[str, str], ...] = (),  # (name, role)
) -> Analysis:
    """An Analysis whose spans point at the named strings in ``text`` (every occurrence)."""
    found, canonical = [], []
    for name, label in entities:
        spans, start = [], text.find(name)
        while start >= 0:
            spans.append((start, start + len(name)))
            found.append(Entity(name, label, start, start + len(name), canonical=name))
            start = text.find(name, start + 1)
        assert spans, f"{name!r} is not in the text"
        canonical.append(CanonicalEntity(name=name, label=label, mentions=spans))
    quote_objects = []
    for quoted, speaker, kind in quotes:
        start = text.index(quoted)
        quote_objects.append(
            Quote(quoted, start, start + len(quoted), kind=kind, speaker=speaker, cue="sagt")
        )
    company_objects = [
        Company(name=name, role=role, mentions=text.count(name), evidence=text.split(".")[0])
        for name, role in companies
    ]
    return Analysis(
        document=Document(text=text, title=title or text.split(".")[0], source="test"),
        sentences=[(0, len(text))],
        entities=found,
        canonical_entities=canonical,
        quotes=quote_objects,
        companies=company_objects,
        model="hand-built",
    )


def small_corpus() -> list[Analysis]:
    """Three articles about AI video firms with known overlaps."""
    return [
        build_analysis(
            "Luma wächst. Amit Jain sagt, Luma schlage OpenAI. Luma und Adobe kooperieren.",
            entities=(("Luma", "ORG"), ("OpenAI", "ORG"), ("Adobe", "ORG"), ("Amit Jain", "PER")),
            quotes=(("Luma schlage OpenAI", "Amit Jain", "indirect"),),
            companies=(("Luma", "subject"), ("OpenAI", "competitor"), ("Adobe", "customer")),
        ),
        build_analysis(
            "OpenAI stellt Sora vor. Sam Altman sagt: „Sora ist gut.“ Auch Luma ist dabei.",
            entities=(
                ("OpenAI", "ORG"),
                ("Sora", "PRODUCT"),
                ("Sam Altman", "PER"),
                ("Luma", "ORG"),
            ),
            quotes=(("Sora ist gut.", "Sam Altman", "direct"),),
            companies=(("OpenAI", "subject"), ("Luma", "competitor")),
        ),
        build_analysis(
            "Adobe integriert Firefly. Amit Jain lobt Adobe: „Ein starker Partner.“",
            entities=(("Adobe", "ORG"), ("Amit Jain", "PER")),
            quotes=(("Ein starker Partner.", "Amit Jain", "direct"),),
            companies=(("Adobe", "subject"),),
        ),
    ]


def translated(analysis: Analysis) -> Analysis:
    analysis.companies[0].figures = [
        Figure(text="vier Milliarden Dollar", value=4e9, currency="USD", kind="valuation")
    ]
    analysis.translation = Translation(
        provider="test",
        text="Luma grows.",
        sentences=[SentencePair("Luma wächst.", "Luma grows.", 0, 12), SentencePair("x", None)],
        partial=True,
    )
    return analysis


def table_counts(path: Path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        return {
            t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("articles", "entities", "quotes", "companies", "figures", "translations")
        }


def assert_consistent(path: Path) -> None:
    """Every article row has exactly the rows its stored analysis implies; no orphans."""
    with duckdb.connect(str(path), read_only=True) as con:
        stored = con.execute("SELECT id, analysis_json FROM articles").fetchall()
        ids = {doc_id for doc_id, _ in stored}
        for table, expected in (
            ("entities", lambda a: len(a.canonical_entities)),
            ("quotes", lambda a: len(a.quotes)),
            ("companies", lambda a: len(a.companies)),
        ):
            counts = dict(
                con.execute(f"SELECT article_id, count(*) FROM {table} GROUP BY 1").fetchall()
            )
            assert set(counts) <= ids, f"orphan {table} rows"
            for doc_id, analysis_json in stored:
                analysis = Analysis.from_dict(json.loads(analysis_json))
                assert analysis.doc_id == doc_id
                assert counts.get(doc_id, 0) == expected(analysis), (table, doc_id)


@pytest.fixture
def library(tmp_path):
    lib = open_library(tmp_path / "library.duckdb")
    yield lib
    lib.close()


@pytest.fixture(scope="module")
def sample_analysis(sample_text) -> Analysis:
    return pipeline.analyze(sample_text)


@pytest.fixture(scope="module")
def xglue_analyses() -> list[Analysis]:
    rows = {r["id"]: r for r in xglue_articles(limit=20)}
    documents = [
        document_from_text(f"{rows[i]['title']}\n\n{rows[i]['body']}", source=i) for i in XGLUE_IDS
    ]
    return list(pipeline.analyze_many(documents))


# --- persistence ----------------------------------------------------------------------


def test_sample_round_trip_survives_reopening(tmp_path, sample_analysis):
    path = tmp_path / "library.duckdb"
    with open_library(path) as lib:
        assert lib.warning is None and lib.persistent and not lib.read_only
        assert lib.save(sample_analysis) == sample_analysis.doc_id
    with open_library(path) as lib:
        loaded = lib.load(sample_analysis.doc_id)
        row = lib.search("").iloc[0]
    assert loaded == sample_analysis
    assert loaded.to_dict() == sample_analysis.to_dict()
    assert row["title"] == sample_analysis.document.title
    assert row["chars"] == len(sample_analysis.document.text)
    assert row["entities"] == len(sample_analysis.canonical_entities)
    assert pd.isna(row["date"])  # the sample has no date


def test_round_trip_keeps_figures_and_translation(library):
    analysis = translated(small_corpus()[0])
    library.save(analysis)
    assert library.load(analysis.doc_id) == analysis


def test_default_path_follows_data_dir_env(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSLENS_DATA_DIR", str(tmp_path / "data"))
    with open_library() as lib:
        assert lib.path == tmp_path / "data" / "library.duckdb"
    assert (tmp_path / "data" / "library.duckdb").exists()


def test_load_unknown_id_raises_a_clear_error(library):
    with pytest.raises(ArticleNotFoundError, match="No article with id"):
        library.load("0123456789abcdef")


def test_saving_the_same_text_twice_replaces_instead_of_duplicating(library):
    first = small_corpus()[0]
    library.save(first, date="2017-03-02")
    created = library._con.execute("SELECT created_at FROM articles").fetchone()[0]
    again = small_corpus()[0]
    again.quotes = []  # a re-analysis of the same text with a different result
    library.save(again)
    assert len(library) == 1
    assert library.load(first.doc_id).quotes == []
    assert library.quotes_per_speaker().empty
    kept = library._con.execute("SELECT created_at, date FROM articles").fetchone()
    assert kept[0] == created and str(kept[1]) == "2017-03-02"


def test_duplicate_import_does_not_duplicate(library, tmp_path):
    batch = tmp_path / "batch.jsonl"
    analyses = small_corpus()
    batch.write_text(
        "".join(json.dumps({**a.to_dict(), "error": None}) + "\n" for a in analyses + analyses[:1])
    )
    assert library.import_batch(batch).imported == 3
    counts = table_counts_of(library)
    assert library.import_batch(batch).imported == 3
    assert table_counts_of(library) == counts
    assert counts["articles"] == 3


def table_counts_of(lib) -> dict[str, int]:
    return {
        t: lib._con.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("articles", "entities", "quotes", "companies")
    }


def test_failing_analysis_inside_save_many_leaves_library_unchanged(library):
    corpus = small_corpus()
    library.save(corpus[0])
    before = table_counts_of(library)

    def analyses_then_failure():
        yield corpus[1]
        yield corpus[2]
        raise RuntimeError("analysis failed")

    library.chunk_size = 1  # the first two are already written when the failure comes
    with pytest.raises(RuntimeError, match="analysis failed"):
        library.save_many(analyses_then_failure())
    assert table_counts_of(library) == before
    assert library.ids() == [corpus[0].doc_id]
    assert library.save_many(corpus[1:]) == 2  # and it still works afterwards


def test_delete_removes_all_rows_of_the_article(library):
    corpus = [translated(small_corpus()[0]), *small_corpus()[1:]]
    library.save_many(corpus)
    assert library.delete(corpus[0].doc_id) == 1
    assert corpus[0].doc_id not in library
    assert library.delete([corpus[0].doc_id]) == 0
    for table in ("entities", "quotes", "companies", "figures", "translations"):
        left = library._con.execute(
            f"SELECT count(*) FROM {table} WHERE article_id = ?", [corpus[0].doc_id]
        ).fetchone()[0]
        assert left == 0, table
    assert len(library) == 2


# --- batch files ----------------------------------------------------------------------


def test_import_jsonl_skips_error_rows_and_broken_lines(library, tmp_path):
    good = small_corpus()
    lines = [json.dumps({**good[0].to_dict(), "input_id": "a", "error": None})]
    lines.append(json.dumps({"id": None, "input_id": "b", "error": "no 'text' field"}))
    lines.append(json.dumps({**good[1].to_dict(), "error": None}))
    lines.append('{"id": "torn line')  # a batch run killed mid-write
    batch = tmp_path / "out.jsonl"
    batch.write_text("\n".join(lines) + "\n")
    result = library.import_batch(batch)
    assert (result.imported, result.skipped) == (2, 2)
    assert any("no 'text' field" in p for p in result.problems)
    assert set(library.ids()) == {good[0].doc_id, good[1].doc_id}


def test_import_parquet_articles_table(library, tmp_path):
    good = small_corpus()
    table = pa.table(
        {
            "id": [a.doc_id for a in good] + [None],
            "source": ["test"] * 4,
            "title": [a.document.title for a in good] + ["broken"],
            "error": [None, None, None, "ingest failed"],
            "analysis_json": [json.dumps(a.to_dict()) for a in good] + [None],
        }
    )
    pq.write_table(table, tmp_path / "out.parquet")
    result = library.import_batch(tmp_path / "out.parquet")
    assert (result.imported, result.skipped) == (3, 1)
    assert [library.load(a.doc_id) for a in good] == good


def test_import_output_of_the_batch_cli(library, tmp_path):
    rows = xglue_articles(limit=3)
    source = tmp_path / "in.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"id": "empty"}\n')
    out = tmp_path / "out.jsonl"
    subprocess.run(
        [sys.executable, "-m", "pipeline", "batch", str(source), "--out", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=300,
    )
    result = library.import_batch(out)
    assert result.imported == 3 and result.skipped == 1
    titles = set(library.search("")["title"])
    assert {r["title"] for r in rows} <= titles


def test_import_rejects_unknown_formats(library, tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(Exception, match="expected a .jsonl or .parquet"):
        library.import_batch(tmp_path / "notes.txt")


# --- crashes, bad and busy files -------------------------------------------------------

# Imports the batch in chunks of 5 and stalls (as if the machine died) after the third chunk
# has been written inside the import transaction; the test then SIGKILLs it.
STALLING_IMPORT = """
import sys, time
from pathlib import Path
from pipeline.library import Library, open_library

library_path, batch_path, marker = sys.argv[1:4]
original = Library._write_chunk
written = []

def write_then_stall(self, chunk):
    ids = original(self, chunk)
    written.append(len(ids))
    if len(written) == 3:
        Path(marker).write_text(str(sum(written)))
        time.sleep(600)
    return ids

Library._write_chunk = write_then_stall
library = open_library(library_path)
library.chunk_size = 5
library.import_batch(batch_path)
"""


def variant_corpus(count: int) -> list[Analysis]:
    """``count`` distinct articles (distinct texts -> distinct ids) with entities and quotes."""
    analyses = []
    for i in range(count):
        for analysis in small_corpus():
            text = f"Folge {i}. " + analysis.document.text
            analyses.append(
                build_analysis(
                    text,
                    entities=tuple((c.name, c.label) for c in analysis.canonical_entities)
                    + ((f"Folge {i}", "MISC"),),
                    quotes=tuple((q.text, q.speaker, q.kind) for q in analysis.quotes),
                    companies=tuple((c.name, c.role) for c in analysis.companies),
                )
            )
    return analyses[:count]


def test_crash_during_import_leaves_library_as_it_was(tmp_path):
    path = tmp_path / "library.duckdb"
    with open_library(path) as lib:
        lib.save_many(small_corpus())
    before = table_counts(path)
    batch = tmp_path / "big.jsonl"
    batch.write_text(
        "".join(json.dumps({**a.to_dict(), "error": None}) + "\n" for a in variant_corpus(40))
    )
    marker = tmp_path / "stalled"
    child = subprocess.Popen(
        [sys.executable, "-c", STALLING_IMPORT, str(path), str(batch), str(marker)], cwd=ROOT
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, "the import process ended before stalling"
            assert time.monotonic() < deadline, "the import never reached the third chunk"
            time.sleep(0.05)
        assert marker.read_text() == "15"  # 15 articles written, not committed
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert table_counts(path) == before
    assert_consistent(path)
    with open_library(path) as lib:  # and the import can simply be run again
        assert lib.warning is None
        assert lib.import_batch(batch).imported == 40
    assert table_counts(path)["articles"] == before["articles"] + 40
    assert_consistent(path)


def test_corrupt_file_falls_back_to_a_working_in_memory_library(tmp_path):
    path = tmp_path / "library.duckdb"
    garbage = os.urandom(64 * 1024)
    path.write_bytes(garbage)
    with open_library(path) as lib:
        assert lib.warning and "could not be opened" in lib.warning and str(path) in lib.warning
        assert not lib.persistent and not lib.read_only
        analysis = small_corpus()[0]
        lib.save(analysis)
        assert lib.load(analysis.doc_id) == analysis
    assert path.read_bytes() == garbage  # the user's file is left for them to inspect


def test_foreign_duckdb_file_is_not_touched(tmp_path):
    path = tmp_path / "other.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("CREATE TABLE sales (id INTEGER)")
    with open_library(path) as lib:
        assert lib.warning and "not a NewsLens library" in lib.warning
        assert not lib.persistent


HOLD_LIBRARY = """
import sys
from pipeline.library import open_library
library = open_library(sys.argv[1])
assert library.warning is None, library.warning
print("holding", flush=True)
sys.stdin.readline()
library.close()
"""


def test_locked_file_opens_a_read_only_snapshot(tmp_path):
    path = tmp_path / "library.duckdb"
    corpus = small_corpus()
    with open_library(path) as lib:
        lib.save_many(corpus[:2])
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LIBRARY, str(path)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        with open_library(path) as lib:
            assert lib.read_only and lib.persistent
            assert "in use by another process" in lib.warning
            assert f"PID {holder.pid}" in lib.warning
            assert set(lib.ids()) == {a.doc_id for a in corpus[:2]}
            assert lib.load(corpus[0].doc_id) == corpus[0]
            assert not lib.top_entities().empty
            with pytest.raises(LibraryReadOnlyError):
                lib.save(corpus[2])
            with pytest.raises(LibraryReadOnlyError):
                lib.delete(corpus[0].doc_id)
    finally:
        holder.communicate("\n", timeout=30)
    with open_library(path) as lib:  # once released, writable again
        assert lib.warning is None and not lib.read_only
        lib.save(corpus[2])
        assert len(lib) == 3


def test_read_only_open(tmp_path):
    path = tmp_path / "library.duckdb"
    with open_library(path) as lib:
        lib.save(small_corpus()[0])
    with open_library(path, read_only=True) as lib:
        assert lib.read_only and len(lib) == 1
        with pytest.raises(LibraryReadOnlyError):
            lib.save(small_corpus()[1])


# --- schema versions -------------------------------------------------------------------

# The layout the first release wrote: no dates or counts, no figures or translations.
SCHEMA_V1 = """
CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE articles (id VARCHAR PRIMARY KEY, source VARCHAR, title VARCHAR, language VARCHAR,
    text VARCHAR, created_at TIMESTAMP, analysis_json VARCHAR);
CREATE TABLE entities (article_id VARCHAR, name VARCHAR, label VARCHAR, mentions INTEGER,
    first_position INTEGER, region VARCHAR, kb_id VARCHAR);
CREATE TABLE quotes (article_id VARCHAR, position INTEGER, speaker VARCHAR, kind VARCHAR,
    text VARCHAR, cue VARCHAR, start INTEGER, "end" INTEGER);
CREATE TABLE companies (article_id VARCHAR, name VARCHAR, role VARCHAR, region VARCHAR,
    products VARCHAR, mentions INTEGER, evidence VARCHAR);
INSERT INTO meta VALUES ('schema_version', '1');
"""


def write_v1_library(path: Path, analyses: list[Analysis]) -> None:
    with duckdb.connect(str(path)) as con:
        con.execute(SCHEMA_V1)
        for a in analyses:
            doc = a.document
            con.execute(
                "INSERT INTO articles VALUES (?, ?, ?, ?, ?, now(), ?)",
                [a.doc_id, doc.source, doc.title, doc.language, doc.text, json.dumps(a.to_dict())],
            )
            for c in a.canonical_entities:
                con.execute(
                    "INSERT INTO entities VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [a.doc_id, c.name, c.label, c.count, c.first_position, c.region, c.kb_id],
                )
            for i, q in enumerate(a.quotes):
                con.execute(
                    "INSERT INTO quotes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [a.doc_id, i, q.speaker, q.kind, q.text, q.cue, q.start, q.end],
                )
            for c in a.companies:
                con.execute(
                    "INSERT INTO companies VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [a.doc_id, c.name, c.role, c.region, ", ".join(c.products), c.mentions, ""],
                )


def test_migration_from_v1(tmp_path):
    assert SCHEMA_VERSION == 2 and set(MIGRATIONS) == {1}
    path = tmp_path / "old.duckdb"
    corpus = [translated(small_corpus()[0]), *small_corpus()[1:]]
    write_v1_library(path, corpus)
    with open_library(path) as lib:
        assert lib.warning is None and lib.schema_version == SCHEMA_VERSION
        assert [lib.load(a.doc_id) for a in corpus] == corpus
        found = lib.search("amit jain")
        assert set(found["id"]) == {corpus[0].doc_id, corpus[2].doc_id}
        assert list(found["entities"].sort_values()) == sorted(
            len(a.canonical_entities) for a in (corpus[0], corpus[2])
        )
        lib.save(variant_corpus(1)[0])  # writable after the upgrade
    counts = table_counts(path)
    assert counts["figures"] == 1 and counts["translations"] == 2
    assert_consistent(path)


def test_failed_migration_leaves_the_old_file(tmp_path, monkeypatch):
    path = tmp_path / "old.duckdb"
    write_v1_library(path, small_corpus())

    def broken(con):
        con.execute("ALTER TABLE articles ADD COLUMN date DATE")
        raise RuntimeError("migration bug")

    monkeypatch.setitem(MIGRATIONS, 1, broken)
    with pytest.raises(RuntimeError, match="migration bug"):
        open_library(path)
    with duckdb.connect(str(path), read_only=True) as con:
        assert con.execute("SELECT value FROM meta").fetchone()[0] == "1"
        columns = {r[0] for r in con.execute("DESCRIBE articles").fetchall()}
        assert "date" not in columns


def test_newer_schema_opens_read_only(tmp_path):
    path = tmp_path / "library.duckdb"
    with open_library(path) as lib:
        lib.save(small_corpus()[0])
    with duckdb.connect(str(path)) as con:
        con.execute(
            "UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(SCHEMA_VERSION + 1)]
        )
    with open_library(path) as lib:
        assert lib.read_only and "newer NewsLens" in lib.warning
        assert len(lib) == 1


# --- search and corpus views -----------------------------------------------------------


def test_search_matches_title_entity_and_speaker_case_insensitively(library):
    corpus = small_corpus()
    library.save_many(corpus)
    by = {a.doc_id: i for i, a in enumerate(corpus)}

    def found(query):
        return sorted(by[i] for i in library.search(query)["id"])

    assert found("") == [0, 1, 2]
    assert found("ADOBE INTEGRIERT") == [2]  # title
    assert found("sora") == [1]  # entity (PRODUCT)
    assert found("sam altman") == [1]  # entity and speaker
    assert found("amit") == [0, 2]
    assert found("%") == [] and found("nothing like this") == []
    assert len(library.search("", limit=2)) == 2


def test_search_matches_speakers_that_are_not_entities(library):
    analysis = small_corpus()[1]
    analysis.quotes[0].speaker = "Sprecherin des Konzerns"
    library.save(analysis)
    assert list(library.search("SPRECHERIN")["id"]) == [analysis.doc_id]


def test_corpus_queries_on_known_articles(library):
    corpus = small_corpus()
    library.save_many(corpus)
    top = library.top_entities(label="ORG")
    assert list(top["name"][:3]) == ["Luma", "Adobe", "OpenAI"]  # 4, 3, 2 mentions
    assert list(top["mentions"][:3]) == [4, 3, 2]
    luma = top.set_index("name").loc["Luma"]
    assert luma["articles"] == 2
    assert set(library.top_entities(label=["PER"])["name"]) == {"Amit Jain", "Sam Altman"}
    assert len(library.top_entities(limit=2)) == 2

    roles = library.company_roles().set_index(["company", "role"])["articles"].to_dict()
    assert roles == {
        ("Luma", "subject"): 1,
        ("Luma", "competitor"): 1,
        ("OpenAI", "competitor"): 1,
        ("OpenAI", "subject"): 1,
        ("Adobe", "customer"): 1,
        ("Adobe", "subject"): 1,
    }
    pairs = library.co_mentions().set_index(["company_a", "company_b"])["articles"].to_dict()
    assert pairs[("Luma", "OpenAI")] == pairs[("OpenAI", "Luma")] == 2
    assert pairs[("Adobe", "Luma")] == 1
    assert ("Adobe", "Adobe") not in pairs

    speakers = library.quotes_per_speaker().set_index("speaker")
    assert speakers.loc["Amit Jain", "quotes"] == 2 and speakers.loc["Amit Jain", "articles"] == 2
    assert speakers.loc["Amit Jain", "direct"] == 1 and speakers.loc["Amit Jain", "indirect"] == 1

    only = [corpus[2].doc_id]
    assert set(library.top_entities(only)["name"]) == {"Adobe", "Amit Jain"}
    assert library.co_mentions(only).empty
    assert library.top_entities([]).empty
    assert library.overview(only) == {
        "articles": 1,
        "entities": 2,
        "quotes": 1,
        "companies": 1,
        "dated": 0,
    }


def test_mentions_over_time_needs_dates(library):
    corpus = small_corpus()
    library.save_many(corpus)
    assert library.mentions_over_time().empty
    library.save(corpus[0], date="2017-03-02")
    library.save(corpus[1], date="2017-03-28")
    library.save(corpus[2], date="2017-05-01")
    by_month = library.mentions_over_time(label="ORG")
    luma = by_month[by_month["name"] == "Luma"]
    assert [str(p)[:7] for p in luma["period"]] == ["2017-03"]
    assert list(luma["mentions"]) == [4] and list(luma["articles"]) == [2]
    adobe = by_month[by_month["name"] == "Adobe"]
    assert [str(p)[:7] for p in adobe["period"]] == ["2017-03", "2017-05"]
    by_day = library.mentions_over_time(label="ORG", period="day")
    assert len(by_day[by_day["name"] == "Luma"]) == 2
    with pytest.raises(ValueError):
        library.mentions_over_time(period="hour")


def test_corpus_queries_agree_with_real_analyses(library, xglue_analyses):
    """Whatever the NER model finds, the SQL aggregates equal the same counts done in Python."""
    assert library.save_many(xglue_analyses) == len(XGLUE_IDS)
    for analysis in xglue_analyses:
        assert library.load(analysis.doc_id) == analysis
        title_words = analysis.document.title.split()
        assert analysis.doc_id in set(library.search(title_words[0].upper())["id"])

    mentions, articles = Counter(), Counter()
    for analysis in xglue_analyses:
        for c in analysis.canonical_entities:
            mentions[(c.name, c.label)] += c.count
            articles[(c.name, c.label)] += 1
    top = library.top_entities(limit=1000)
    assert len(top) == len(mentions)
    for row in top.itertuples():
        assert row.mentions == mentions[(row.name, row.label)]
        assert row.articles == articles[(row.name, row.label)]
    assert list(top["mentions"]) == sorted(top["mentions"], reverse=True)

    pairs = Counter()
    for analysis in xglue_analyses:
        names = sorted({c.name for c in analysis.companies})
        for a, b in combinations(names, 2):
            pairs[(a, b)] += 1
            pairs[(b, a)] += 1
    got = library.co_mentions(limit=1000).set_index(["company_a", "company_b"])["articles"]
    assert got.to_dict() == dict(pairs)

    speakers = Counter(q.speaker for a in xglue_analyses for q in a.quotes if q.speaker)
    got = library.quotes_per_speaker(limit=1000).set_index("speaker")["quotes"].to_dict()
    assert got == dict(speakers)
    for analysis in xglue_analyses:
        for c in analysis.canonical_entities[:3]:
            assert analysis.doc_id in set(library.search(c.name.lower())["id"])
