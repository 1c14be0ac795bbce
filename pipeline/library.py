"""The article library: analyses that persist in one embedded DuckDB file (no server).

Each saved article keeps its whole ``Analysis.to_dict()`` as JSON (so opening it again is
instant and exact, no re-analysis) plus tidy per-article tables -- entities, quotes,
companies, figures, translation sentence pairs -- that the corpus views aggregate in SQL.

Guarantees:

- One transaction per ``save``/``save_many``/``import_batch``: a failing analysis or a
  crash half-way leaves the library exactly as it was.
- The article id is ``Document.doc_id`` (a hash of the text): saving the same text again
  replaces the stored analysis instead of adding a duplicate.
- ``meta.schema_version`` records the layout; ``MIGRATIONS`` upgrades older files in place.
- A corrupt or locked file never breaks the app: ``open_library`` falls back to a read-only
  snapshot or to an in-memory library and explains why in ``Library.warning``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import platformdirs
import pyarrow as pa

from pipeline.model import Analysis
from pipeline.tables import company_records, entity_records

SCHEMA_VERSION = 2
LIBRARY_FILENAME = "library.duckdb"
DATA_DIR_ENV = "NEWSLENS_DATA_DIR"

# The current layout. Child tables carry ``article_id`` and no foreign keys: DuckDB's FK
# checks make replace-in-one-transaction awkward, and every write goes through ``_write``.
SCHEMA_SQL = """
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS articles (
    id VARCHAR PRIMARY KEY,
    source VARCHAR,
    title VARCHAR,
    language VARCHAR,
    date DATE,
    text VARCHAR,
    chars INTEGER,
    words INTEGER,
    model VARCHAR,
    n_entities INTEGER,
    n_quotes INTEGER,
    n_companies INTEGER,
    created_at TIMESTAMP,
    analysis_json VARCHAR
);
CREATE TABLE IF NOT EXISTS entities (
    article_id VARCHAR, name VARCHAR, label VARCHAR, mentions INTEGER,
    first_position INTEGER, region VARCHAR, kb_id VARCHAR
);
CREATE TABLE IF NOT EXISTS quotes (
    article_id VARCHAR, position INTEGER, speaker VARCHAR, kind VARCHAR, text VARCHAR,
    cue VARCHAR, start INTEGER, "end" INTEGER, translation VARCHAR
);
CREATE TABLE IF NOT EXISTS companies (
    article_id VARCHAR, name VARCHAR, role VARCHAR, region VARCHAR, products VARCHAR,
    mentions INTEGER, evidence VARCHAR, kb_id VARCHAR
);
CREATE TABLE IF NOT EXISTS figures (
    article_id VARCHAR, company VARCHAR, kind VARCHAR, text VARCHAR, value DOUBLE,
    currency VARCHAR, sentence VARCHAR, start INTEGER, "end" INTEGER
);
CREATE TABLE IF NOT EXISTS translations (
    article_id VARCHAR, position INTEGER, provider VARCHAR, source VARCHAR, target VARCHAR,
    start INTEGER, "end" INTEGER
);
"""

CHILD_TABLES = ("entities", "quotes", "companies", "figures", "translations")

# Column layout of the rows ``_article_rows`` produces, in table order.
ROW_SCHEMAS: dict[str, pa.Schema] = {
    "articles": pa.schema(
        [
            ("id", pa.string()),
            ("source", pa.string()),
            ("title", pa.string()),
            ("language", pa.string()),
            ("date", pa.date32()),
            ("text", pa.string()),
            ("chars", pa.int32()),
            ("words", pa.int32()),
            ("model", pa.string()),
            ("n_entities", pa.int32()),
            ("n_quotes", pa.int32()),
            ("n_companies", pa.int32()),
            ("created_at", pa.timestamp("us")),
            ("analysis_json", pa.string()),
        ]
    ),
    "entities": pa.schema(
        [
            ("article_id", pa.string()),
            ("name", pa.string()),
            ("label", pa.string()),
            ("mentions", pa.int32()),
            ("first_position", pa.int32()),
            ("region", pa.string()),
            ("kb_id", pa.string()),
        ]
    ),
    "quotes": pa.schema(
        [
            ("article_id", pa.string()),
            ("position", pa.int32()),
            ("speaker", pa.string()),
            ("kind", pa.string()),
            ("text", pa.string()),
            ("cue", pa.string()),
            ("start", pa.int32()),
            ("end", pa.int32()),
            ("translation", pa.string()),
        ]
    ),
    "companies": pa.schema(
        [
            ("article_id", pa.string()),
            ("name", pa.string()),
            ("role", pa.string()),
            ("region", pa.string()),
            ("products", pa.string()),
            ("mentions", pa.int32()),
            ("evidence", pa.string()),
            ("kb_id", pa.string()),
        ]
    ),
    "figures": pa.schema(
        [
            ("article_id", pa.string()),
            ("company", pa.string()),
            ("kind", pa.string()),
            ("text", pa.string()),
            ("value", pa.float64()),
            ("currency", pa.string()),
            ("sentence", pa.string()),
            ("start", pa.int32()),
            ("end", pa.int32()),
        ]
    ),
    "translations": pa.schema(
        [
            ("article_id", pa.string()),
            ("position", pa.int32()),
            ("provider", pa.string()),
            ("source", pa.string()),
            ("target", pa.string()),
            ("start", pa.int32()),
            ("end", pa.int32()),
        ]
    ),
}


class LibraryError(RuntimeError):
    """A user-facing problem with the library (message is meant to be shown as is)."""


class LibraryReadOnlyError(LibraryError):
    """A write was attempted on a library opened read-only."""


class ArticleNotFoundError(LibraryError, KeyError):
    """No stored article has the requested id."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class ImportResult:
    """What ``Library.import_batch`` did: articles stored and rows skipped (with reasons)."""

    imported: int
    skipped: int
    problems: tuple[str, ...] = ()


# --- rows -------------------------------------------------------------------------------


def _as_date(value: Any) -> dt.date | None:
    """A calendar date from a date/datetime/ISO string; None when unknown or unparseable."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _article_rows(
    analysis: Analysis, date: Any, created_at: dt.datetime
) -> dict[str, list[dict[str, Any]]]:
    """The rows one analysis contributes to each table."""
    doc = analysis.document
    doc_id = doc.doc_id
    article = {
        "id": doc_id,
        "source": doc.source,
        "title": doc.title,
        "language": doc.language,
        # The data model has no date yet; take one if a later Document carries it.
        "date": _as_date(date if date is not None else getattr(doc, "date", None)),
        "text": doc.text,
        "chars": len(doc.text),
        "words": len(doc.text.split()),
        "model": analysis.model,
        "n_entities": len(analysis.canonical_entities),
        "n_quotes": len(analysis.quotes),
        "n_companies": len(analysis.companies),
        "created_at": created_at,
        "analysis_json": json.dumps(analysis.to_dict(), ensure_ascii=False),
    }
    entities = [{"article_id": doc_id, **row} for row in entity_records(analysis)]
    quotes = [
        {
            "article_id": doc_id,
            "position": i,
            "speaker": q.speaker,
            "kind": q.kind,
            "text": q.text,
            "cue": q.cue,
            "start": q.start,
            "end": q.end,
            "translation": q.translation,
        }
        for i, q in enumerate(analysis.quotes)
    ]
    companies = [{"article_id": doc_id, **row} for row in company_records(analysis)]
    figures = [
        {
            "article_id": doc_id,
            "company": f.company or c.name,
            "kind": f.kind,
            "text": f.text,
            "value": f.value,
            "currency": f.currency,
            "sentence": f.sentence,
            "start": f.start,
            "end": f.end,
        }
        for c in analysis.companies
        for f in c.figures
    ]
    translation = analysis.translation
    translations = (
        [
            {
                "article_id": doc_id,
                "position": i,
                "provider": translation.provider,
                "source": p.source,
                "target": p.target,
                "start": p.start,
                "end": p.end,
            }
            for i, p in enumerate(translation.sentences)
        ]
        if translation
        else []
    )
    return {
        "articles": [article],
        "entities": entities,
        "quotes": quotes,
        "companies": companies,
        "figures": figures,
        "translations": translations,
    }


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


# --- migrations -------------------------------------------------------------------------


def _migrate_v1_to_v2(con: duckdb.DuckDBPyConnection) -> None:
    """v1 stored articles (no date, no counts), entities, quotes and companies only.

    v2 adds the article date and counts, the figures and translation tables, and the
    quote translation and company kb_id columns; the new rows come from the stored JSON.
    """
    for column, sql_type in (
        ("date", "DATE"),
        ("chars", "INTEGER"),
        ("words", "INTEGER"),
        ("model", "VARCHAR"),
        ("n_entities", "INTEGER"),
        ("n_quotes", "INTEGER"),
        ("n_companies", "INTEGER"),
    ):
        con.execute(f"ALTER TABLE articles ADD COLUMN IF NOT EXISTS {column} {sql_type}")
    con.execute("ALTER TABLE quotes ADD COLUMN IF NOT EXISTS translation VARCHAR")
    con.execute("ALTER TABLE companies ADD COLUMN IF NOT EXISTS kb_id VARCHAR")
    con.execute(SCHEMA_SQL)  # creates the tables v1 lacked
    stored = con.execute("SELECT id, created_at, analysis_json FROM articles").fetchall()
    for doc_id, created_at, analysis_json in stored:
        rows = _article_rows(Analysis.from_dict(json.loads(analysis_json)), None, created_at)
        article = rows["articles"][0]
        con.execute(
            "UPDATE articles SET chars = ?, words = ?, model = ?, n_entities = ?, n_quotes = ?,"
            " n_companies = ? WHERE id = ?",
            [
                article["chars"],
                article["words"],
                article["model"],
                article["n_entities"],
                article["n_quotes"],
                article["n_companies"],
                doc_id,
            ],
        )
        for table in ("figures", "translations"):
            if rows[table]:
                _insert_rows(con, table, rows[table])


# schema_version found in the file -> the step that lifts it by one version.
MIGRATIONS: dict[int, Callable[[duckdb.DuckDBPyConnection], None]] = {
    1: _migrate_v1_to_v2,
}


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, rows: list[dict[str, Any]]) -> None:
    """Bulk insert through Arrow (one statement per table, not one per row)."""
    schema = ROW_SCHEMAS[table]
    con.register("staged_rows", pa.Table.from_pylist(rows, schema=schema))
    try:
        columns = ", ".join(f'"{name}"' for name in schema.names)
        con.execute(f"INSERT INTO {table} ({columns}) SELECT {columns} FROM staged_rows")
    finally:
        con.unregister("staged_rows")


# --- opening ----------------------------------------------------------------------------


def default_library_path() -> Path:
    """$NEWSLENS_DATA_DIR/library.duckdb, else the per-user data dir of NewsLens."""
    data_dir = os.environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir("newslens")
    return Path(data_dir) / LIBRARY_FILENAME


_LOCK_HOLDER = re.compile(r"PID (\d+)")


def open_library(path: str | Path | None = None, *, read_only: bool = False) -> Library:
    """Open (or create) the library file; never raises for a bad or busy file.

    - locked by another process (DuckDB allows one writer): a read-only snapshot copy;
    - corrupt, unreadable or foreign file: an empty in-memory library;
    in both cases ``Library.warning`` says what happened and what to do.
    """
    path = Path(path) if path is not None else default_library_path()
    try:
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as error:
        message = str(error)
        if "lock" in message.lower():
            holder = _LOCK_HOLDER.search(message)
            who = f"another process (PID {holder.group(1)})" if holder else "another process"
            return _open_snapshot(
                path,
                f"The library {path} is in use by {who}; DuckDB allows one writer at a time. "
                "Showing a read-only snapshot: saving and deleting are off until it is closed.",
            )
        return _in_memory(
            f"The library file {path} could not be opened ({_short(message)}). "
            "Using a temporary in-memory library: nothing will be kept after this session. "
            "Move or delete that file to start a fresh library."
        )
    except OSError as error:  # e.g. the data dir cannot be created
        return _in_memory(
            f"The library folder {path.parent} is not usable ({error.strerror or error}). "
            "Using a temporary in-memory library: nothing will be kept after this session."
        )
    return _prepare(con, path, read_only=read_only, persistent=True)


def _short(message: str) -> str:
    return message.split("\n", 1)[0].removeprefix("IO Error: ").strip()


def _in_memory(warning: str | None = None) -> Library:
    con = duckdb.connect(":memory:")
    return _prepare(con, None, read_only=False, persistent=False, warning=warning)


def _open_snapshot(path: Path, warning: str) -> Library:
    """Copy the file (and its WAL, which holds committed but not yet checkpointed writes)
    to a private temp dir and open the copy; the Library refuses writes."""
    snapshot_dir = tempfile.mkdtemp(prefix="newslens-library-")
    try:
        for suffix in ("", ".wal"):
            source = Path(str(path) + suffix)
            if source.exists():
                shutil.copy2(source, Path(snapshot_dir) / (LIBRARY_FILENAME + suffix))
        con = duckdb.connect(str(Path(snapshot_dir) / LIBRARY_FILENAME))
        library = _prepare(con, path, read_only=True, persistent=True, warning=warning)
    except (duckdb.Error, OSError) as error:
        shutil.rmtree(snapshot_dir, ignore_errors=True)
        return _in_memory(
            f"{warning.split(';')[0]}, and no snapshot could be read ({_short(str(error))}). "
            "Using a temporary in-memory library: nothing will be kept after this session."
        )
    library._snapshot_dir = snapshot_dir
    return library


def _prepare(
    con: duckdb.DuckDBPyConnection,
    path: Path | None,
    *,
    read_only: bool,
    persistent: bool,
    warning: str | None = None,
) -> Library:
    """Create or migrate the schema, or fall back when the file is not a NewsLens library."""
    tables = {row[0] for row in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    if "meta" not in tables:
        if tables:  # a DuckDB file, but someone else's
            con.close()
            return _in_memory(
                f"The file {path} is a DuckDB database but not a NewsLens library. "
                "Using a temporary in-memory library: nothing will be kept after this session."
            )
        if read_only:  # an empty file we may not write to: serve an empty library
            con.close()
            return _in_memory(warning)
        _create_schema(con)
        return Library(con, path, read_only=False, persistent=persistent, warning=warning)
    version = int(con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0])
    if version > SCHEMA_VERSION:
        return Library(
            con,
            path,
            read_only=True,
            persistent=persistent,
            warning=(
                f"The library {path} was written by a newer NewsLens (schema v{version}, "
                f"this one knows v{SCHEMA_VERSION}). Opened read-only."
            ),
        )
    if version < SCHEMA_VERSION:
        if read_only and path is not None and warning is None:
            # A read-only file cannot be upgraded in place: upgrade a private copy instead.
            con.close()
            return _open_snapshot(path, f"The library {path} is opened read-only.")
        _migrate(con, version)
    return Library(con, path, read_only=read_only, persistent=persistent, warning=warning)


def _create_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(SCHEMA_SQL)
        con.execute("INSERT INTO meta VALUES ('schema_version', ?)", [str(SCHEMA_VERSION)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _migrate(con: duckdb.DuckDBPyConnection, version: int) -> None:
    """Run every step from ``version`` to SCHEMA_VERSION in one transaction."""
    con.execute("BEGIN TRANSACTION")
    try:
        while version < SCHEMA_VERSION:
            MIGRATIONS[version](con)
            version += 1
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", [str(version)])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


# --- the library ------------------------------------------------------------------------


class Library:
    """A handle on the article library; thread-safe (one lock around the connection), so a
    Streamlit app can share one instance between sessions."""

    # Articles written per bulk insert inside a save_many/import transaction.
    chunk_size = 200

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        path: Path | None,
        *,
        read_only: bool,
        persistent: bool,
        warning: str | None = None,
    ) -> None:
        self._con = con
        self._lock = threading.RLock()
        self._snapshot_dir: str | None = None
        self.path = path
        self.read_only = read_only
        self.persistent = persistent  # False: in-memory, gone when the process ends
        self.warning = warning

    def __enter__(self) -> Library:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __len__(self) -> int:
        with self._lock:
            return self._con.execute("SELECT count(*) FROM articles").fetchone()[0]

    def __contains__(self, doc_id: object) -> bool:
        with self._lock:
            row = self._con.execute("SELECT 1 FROM articles WHERE id = ?", [doc_id]).fetchone()
        return row is not None

    @property
    def schema_version(self) -> int:
        with self._lock:
            row = self._con.execute(
                "SELECT value FROM meta WHERE key = 'schema_version'"
            ).fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._con.close()
            if self._snapshot_dir:
                shutil.rmtree(self._snapshot_dir, ignore_errors=True)
                self._snapshot_dir = None

    # --- writing ------------------------------------------------------------------------

    def save(self, analysis: Analysis, *, date: Any = None) -> str:
        """Store one analysis (replacing any earlier one of the same text); returns its id.
        ``date`` (date or ISO string) overrides the document's own date, if it has one."""
        self._write([(analysis, date)])
        return analysis.doc_id

    def save_many(self, analyses: Iterable[Analysis]) -> int:
        """Store many analyses in one transaction; returns how many distinct articles.
        If the iterable raises (e.g. a failing analysis), nothing of it is kept."""
        return self._write((analysis, None) for analysis in analyses)

    def delete(self, doc_id: str | Sequence[str]) -> int:
        """Remove one article (or several) and all its rows; returns how many were removed."""
        ids = [doc_id] if isinstance(doc_id, str) else list(doc_id)
        self._check_writable()
        with self._lock, self._transaction():
            removed = self._con.execute(
                "SELECT count(*) FROM articles WHERE list_contains(?, id)", [ids]
            ).fetchone()[0]
            self._delete_ids(ids)
        return removed

    def import_batch(self, path: str | Path) -> ImportResult:
        """Import the output of the batch CLI (JSONL or Parquet) in one transaction.

        Rows with an ``error`` and rows that cannot be read as an analysis are skipped and
        counted; articles already stored are replaced, never duplicated.
        """
        path = Path(path)
        if not path.exists():
            raise LibraryError(f"Nothing to import: {path} does not exist.")
        problems: list[str] = []
        if path.suffix.lower() == ".parquet":
            rows = _parquet_rows(path, problems)
        elif path.suffix.lower() in (".jsonl", ".ndjson", ".json"):
            rows = _jsonl_rows(path, problems)
        else:
            raise LibraryError(
                f"Cannot import {path.name}: expected a .jsonl or .parquet file from "
                "`python -m pipeline batch`."
            )
        imported = self._write(rows)
        return ImportResult(imported=imported, skipped=len(problems), problems=tuple(problems))

    def _write(self, items: Iterable[tuple[Analysis, Any]]) -> int:
        self._check_writable()
        written: set[str] = set()
        with self._lock, self._transaction():
            for chunk in _chunks(items, self.chunk_size):
                written.update(self._write_chunk(chunk))
        return len(written)

    def _write_chunk(self, chunk: list[tuple[Analysis, Any]]) -> list[str]:
        """Replace the chunk's articles (inside the caller's transaction)."""
        latest = {analysis.doc_id: (analysis, date) for analysis, date in chunk}
        ids = list(latest)
        # A replaced article keeps when it was first stored and a date learnt earlier.
        kept = {
            doc_id: (created_at, date)
            for doc_id, created_at, date in self._con.execute(
                "SELECT id, created_at, date FROM articles WHERE list_contains(?, id)", [ids]
            ).fetchall()
        }
        self._delete_ids(ids)
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        tables: dict[str, list[dict[str, Any]]] = {name: [] for name in ROW_SCHEMAS}
        for doc_id, (analysis, date) in latest.items():
            created_at, known_date = kept.get(doc_id, (now, None))
            if date is None and getattr(analysis.document, "date", None) is None:
                date = known_date
            rows = _article_rows(analysis, date, created_at)
            for name, table_rows in rows.items():
                tables[name].extend(table_rows)
        for name, table_rows in tables.items():
            if table_rows:
                _insert_rows(self._con, name, table_rows)
        return ids

    def _delete_ids(self, ids: list[str]) -> None:
        for table in CHILD_TABLES:
            self._con.execute(f"DELETE FROM {table} WHERE list_contains(?, article_id)", [ids])
        self._con.execute("DELETE FROM articles WHERE list_contains(?, id)", [ids])

    def _check_writable(self) -> None:
        if self.read_only:
            raise LibraryReadOnlyError(
                self.warning or "The library is open read-only; it cannot be changed."
            )

    def _transaction(self):
        return _Transaction(self._con)

    # --- reading ------------------------------------------------------------------------

    def load(self, doc_id: str) -> Analysis:
        """The stored analysis, exactly as saved (no re-analysis)."""
        with self._lock:
            row = self._con.execute(
                "SELECT analysis_json FROM articles WHERE id = ?", [doc_id]
            ).fetchone()
        if row is None:
            raise ArticleNotFoundError(f"No article with id {doc_id} in the library.")
        return Analysis.from_dict(json.loads(row[0]))

    def search(self, query: str = "", limit: int = 500) -> pd.DataFrame:
        """Articles whose title, entity names, company names or quote speakers contain
        ``query`` (case-insensitive); all articles for an empty query. Newest first."""
        needle = query.strip().lower()
        return self._frame(
            """
            SELECT id, title, source, language, date, chars,
                   n_entities AS entities, n_quotes AS quotes
            FROM articles a
            WHERE $needle = ''
               OR contains(lower(a.title), $needle)
               OR EXISTS (SELECT 1 FROM entities e
                          WHERE e.article_id = a.id AND contains(lower(e.name), $needle))
               OR EXISTS (SELECT 1 FROM companies c
                          WHERE c.article_id = a.id AND contains(lower(c.name), $needle))
               OR EXISTS (SELECT 1 FROM quotes q
                          WHERE q.article_id = a.id AND contains(lower(q.speaker), $needle))
            ORDER BY created_at DESC, title, id
            LIMIT $limit
            """,
            {"needle": needle, "limit": int(limit)},
        )

    def ids(self) -> list[str]:
        with self._lock:
            return [r[0] for r in self._con.execute("SELECT id FROM articles").fetchall()]

    # --- corpus views (tidy frames, aggregated in DuckDB) -------------------------------

    def overview(self, ids: Sequence[str] | None = None) -> dict[str, int]:
        """Counts over the whole library or the given articles."""
        where, params = _scope("id", ids)
        with self._lock:
            row = self._con.execute(
                f"SELECT count(*), coalesce(sum(n_entities), 0), coalesce(sum(n_quotes), 0),"
                f" coalesce(sum(n_companies), 0), count(date) FROM articles WHERE {where}",
                params,
            ).fetchone()
        return dict(zip(("articles", "entities", "quotes", "companies", "dated"), row, strict=True))

    def top_entities(
        self,
        ids: Sequence[str] | None = None,
        label: str | Sequence[str] | None = None,
        limit: int = 30,
    ) -> pd.DataFrame:
        """[name, label, mentions, articles]: the most mentioned entities."""
        where, params = _scope("article_id", ids)
        labels = [label] if isinstance(label, str) else list(label) if label else None
        if labels is not None:
            where += " AND list_contains($labels, label)"
            params["labels"] = labels
        params["limit"] = int(limit)
        return self._frame(
            f"""
            SELECT name, label, sum(mentions)::BIGINT AS mentions,
                   count(DISTINCT article_id) AS articles
            FROM entities WHERE {where}
            GROUP BY name, label
            ORDER BY mentions DESC, articles DESC, name
            LIMIT $limit
            """,
            params,
        )

    def company_roles(self, ids: Sequence[str] | None = None, limit: int = 30) -> pd.DataFrame:
        """[company, role, articles, mentions]: in how many articles each of the ``limit``
        most frequent companies plays each role."""
        where, params = _scope("article_id", ids)
        params["limit"] = int(limit)
        return self._frame(
            f"""
            WITH scoped AS (SELECT * FROM companies WHERE {where}),
            top AS (
                SELECT name FROM scoped GROUP BY name
                ORDER BY count(DISTINCT article_id) DESC, sum(mentions) DESC, name
                LIMIT $limit
            )
            SELECT name AS company, role, count(DISTINCT article_id) AS articles,
                   sum(mentions)::BIGINT AS mentions
            FROM scoped JOIN top USING (name)
            GROUP BY name, role
            ORDER BY company, articles DESC, role
            """,
            params,
        )

    def co_mentions(self, ids: Sequence[str] | None = None, limit: int = 30) -> pd.DataFrame:
        """[company_a, company_b, articles]: how many articles name both companies, over the
        ``limit`` companies found in most articles (symmetric, both orders, no self pairs)."""
        where, params = _scope("article_id", ids)
        params["limit"] = int(limit)
        return self._frame(
            f"""
            WITH pairs AS (SELECT DISTINCT article_id, name FROM companies WHERE {where}),
            top AS (
                SELECT name FROM pairs GROUP BY name ORDER BY count(*) DESC, name LIMIT $limit
            ),
            kept AS (SELECT pairs.* FROM pairs JOIN top USING (name))
            SELECT a.name AS company_a, b.name AS company_b, count(*) AS articles
            FROM kept a JOIN kept b ON a.article_id = b.article_id AND a.name <> b.name
            GROUP BY a.name, b.name
            ORDER BY articles DESC, company_a, company_b
            """,
            params,
        )

    def quotes_per_speaker(self, ids: Sequence[str] | None = None, limit: int = 30) -> pd.DataFrame:
        """[speaker, quotes, direct, indirect, articles] for quotes with a known speaker."""
        where, params = _scope("article_id", ids)
        params["limit"] = int(limit)
        return self._frame(
            f"""
            SELECT speaker, count(*) AS quotes,
                   count(*) FILTER (WHERE kind = 'direct') AS direct,
                   count(*) FILTER (WHERE kind = 'indirect') AS indirect,
                   count(DISTINCT article_id) AS articles
            FROM quotes WHERE {where} AND speaker IS NOT NULL AND speaker <> ''
            GROUP BY speaker
            ORDER BY quotes DESC, speaker
            LIMIT $limit
            """,
            params,
        )

    def mentions_over_time(
        self,
        ids: Sequence[str] | None = None,
        label: str | Sequence[str] | None = None,
        top: int = 10,
        period: str = "month",
    ) -> pd.DataFrame:
        """[period, name, label, mentions, articles] for the ``top`` entities of the dated
        articles, per day/week/month/year of the article date. Empty when no date is known."""
        if period not in ("day", "week", "month", "year"):
            raise ValueError(f"period must be day, week, month or year, not {period!r}")
        where, params = _scope("e.article_id", ids)
        labels = [label] if isinstance(label, str) else list(label) if label else None
        if labels is not None:
            where += " AND list_contains($labels, e.label)"
            params["labels"] = labels
        params["top"] = int(top)
        return self._frame(
            f"""
            WITH dated AS (
                SELECT e.article_id, e.name, e.label, e.mentions, a.date
                FROM entities e JOIN articles a ON a.id = e.article_id
                WHERE {where} AND a.date IS NOT NULL
            ),
            top AS (
                SELECT name, label FROM dated GROUP BY name, label
                ORDER BY sum(mentions) DESC, name LIMIT $top
            )
            SELECT date_trunc('{period}', date)::DATE AS period, name, label,
                   sum(mentions)::BIGINT AS mentions, count(DISTINCT article_id) AS articles
            FROM dated JOIN top USING (name, label)
            GROUP BY period, name, label
            ORDER BY period, mentions DESC, name
            """,
            params,
        )

    def _frame(self, sql: str, params: dict[str, Any]) -> pd.DataFrame:
        with self._lock:
            return self._con.execute(sql, params).df()


def _scope(column: str, ids: Sequence[str] | None) -> tuple[str, dict[str, Any]]:
    """SQL condition and parameters limiting a query to the given article ids (None: all)."""
    if ids is None:
        return "TRUE", {}
    return f"list_contains($ids, {column})", {"ids": list(ids)}


class _Transaction:
    """BEGIN ... COMMIT, or ROLLBACK on any exception (including KeyboardInterrupt)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def __enter__(self) -> None:
        self._con.execute("BEGIN TRANSACTION")

    def __exit__(self, exc_type, exc, tb) -> None:
        self._con.execute("ROLLBACK" if exc_type else "COMMIT")


# --- batch files ------------------------------------------------------------------------


def _analysis_from_row(data: dict[str, Any], where: str, problems: list[str]):
    """(Analysis, date) from one batch row, or None (recorded in ``problems``)."""
    if data.get("error"):
        problems.append(f"{where}: skipped, the batch run failed on it ({data['error']})")
        return None
    try:
        return Analysis.from_dict(data), data.get("date")
    except (KeyError, TypeError, ValueError) as error:
        problems.append(f"{where}: skipped, not an analysis ({type(error).__name__}: {error})")
        return None


def _jsonl_rows(path: Path, problems: list[str]) -> Iterator[tuple[Analysis, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{path.name} line {number}"
            try:
                data = json.loads(line)
            except json.JSONDecodeError as error:
                problems.append(f"{where}: skipped, not valid JSON ({error.msg})")
                continue
            if not isinstance(data, dict):
                problems.append(f"{where}: skipped, not a JSON object")
                continue
            if (item := _analysis_from_row(data, where, problems)) is not None:
                yield item


def _parquet_rows(path: Path, problems: list[str]) -> Iterator[tuple[Analysis, Any]]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowException, OSError) as error:
        raise LibraryError(
            f"Cannot import {path.name}: not a readable Parquet file ({error})."
        ) from None
    names = set(parquet.schema_arrow.names)
    if "analysis_json" not in names:
        raise LibraryError(
            f"Cannot import {path.name}: it has no analysis_json column "
            "(expected the articles table written by `python -m pipeline batch`)."
        )
    columns = [c for c in ("id", "error", "analysis_json") if c in names]
    number = 0
    for batch in parquet.iter_batches(columns=columns, batch_size=256):
        for record in batch.to_pylist():
            number += 1
            where = f"{path.name} row {number}"
            if record.get("error"):
                problems.append(f"{where}: skipped, the batch run failed on it ({record['error']})")
                continue
            if not record.get("analysis_json"):
                problems.append(f"{where}: skipped, no analysis stored")
                continue
            try:
                data = json.loads(record["analysis_json"])
            except json.JSONDecodeError as error:
                problems.append(f"{where}: skipped, analysis_json is not valid JSON ({error.msg})")
                continue
            if (item := _analysis_from_row(data, where, problems)) is not None:
                yield item
