"""Batch analysis: many articles in, one JSONL or Parquet file out, resumable.

``python -m pipeline batch INPUT --out OUTPUT`` (see ``register_cli``) or ``run_batch(...)``.

INPUT is a folder of article files (any format ``pipeline.ingest.read_document`` reads), one
such file, or a JSONL file with ``text`` or ``body`` (+ optional ``title``, ``id``) per line.
Every input item has an ``input_id``: the JSONL ``id`` (else ``line-N``) or the file's path
relative to the folder. Items already in OUTPUT are skipped, so an interrupted run resumes
where it stopped when started again with the same arguments. JSONL lines are decoded one by
one (UTF-8, else the ingest module's legacy fallback such as Windows-1252), so one badly
encoded line costs at most that line. OUTPUT may not be the input file nor lie inside the
input folder.

Output, chosen by OUTPUT's extension:

- ``.jsonl``: one ``Analysis.to_dict()`` per line plus ``input_id`` and ``error`` (None when
  fine). A bad article is one line ``{"id": null, "input_id", "source", "title", "error"}``.
  Lines are appended and flushed chunk by chunk, so the file itself is the checkpoint. On
  resume only a torn last line is cut off; an unreadable line elsewhere is skipped, kept and
  reported as a warning.
- ``.parquet``: the articles table ``[input_id, id, source, title, language, chars, words,
  error, analysis_json]`` plus sibling tables ``<stem>.entities.parquet``,
  ``<stem>.quotes.parquet`` and ``<stem>.companies.parquet`` (the ``pipeline.tables`` frames
  with a leading ``id`` column). While running, rows go to a JSONL checkpoint
  ``<OUTPUT>.partial.jsonl``; the Parquet files are written (atomically) from it at the end
  and the checkpoint is removed. Re-running against a finished Parquet output re-seeds the
  checkpoint from it, so only new input items are analysed.

Engines: ``local`` analyses in this process (``n_process=1``) or in a pool of N worker
processes; ``dask`` maps the same chunk function over a ``dask.distributed`` cluster (a
``LocalCluster`` unless ``--scheduler`` names one; workers need this project importable).
Either way every worker loads the spaCy model once and runs ``pipeline.analyze_many`` over
whole chunks, so all stages (not only the spaCy pass) run in parallel; results are written
in input order.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import sys
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

JSONL_SUFFIXES = (".jsonl", ".ndjson")
OUTPUT_SUFFIXES = (*JSONL_SUFFIXES, ".parquet")
SIBLING_TABLES = ("entities", "quotes", "companies")
ENGINES = ("local", "dask")
SAMPLE_PATH = Path(__file__).resolve().parent / "data" / "sample_article.de.txt"


class BatchUsageError(ValueError):
    """Arguments the batch cannot run with (missing input, unknown format or engine)."""


@dataclass
class BatchItem:
    """One input article before ingest: raw text fields or raw file bytes (sent to workers)."""

    input_id: str
    source: str
    title: str = ""
    text: str | None = None
    data: bytes | None = None
    error: str | None = None  # the input line itself was unusable


@dataclass
class BatchSummary:
    """What a run did; ``words`` counts whitespace-separated words of analysed articles."""

    output: Path
    total: int = 0
    analysed: int = 0
    skipped: int = 0
    errors: int = 0
    words: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds else 0.0

    def describe(self) -> str:
        state = "interrupted after" if self.interrupted else "done:"
        return (
            f"batch {state} {self.analysed} analysed, {self.errors} errors, "
            f"{self.skipped} skipped (already in output) of {self.total} items in "
            f"{self.seconds:.1f} s ({self.words_per_second:,.0f} words/s) -> {self.output}"
        )


# --------------------------------------------------------------------------- input


def _jsonl_lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(line number, raw bytes)`` of the non-blank lines of a JSONL file. Read as bytes so
    that one line in another encoding cannot stop the run (see ``_decode_line``)."""
    with path.open("rb") as lines:
        for number, raw in enumerate(lines, start=1):
            if raw.strip():
                yield number, raw


def _decode_line(raw: bytes, name: str) -> str:
    """One JSONL line as text: UTF-8, else the ingest module's fallback for legacy text
    (Windows-1252 and friends). Raises ``IngestError`` for bytes that are not text."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        from pipeline.ingest import decode_text  # the decoding every uploaded file gets

        return decode_text(raw, name)


def _jsonl_items(path: Path) -> Iterator[BatchItem]:
    from pipeline.ingest import IngestError

    for number, raw in _jsonl_lines(path):
        fallback_id = f"line-{number}"
        source = f"{path.name}:{number}"
        try:
            line = _decode_line(raw, source)
        except IngestError as exc:
            yield BatchItem(fallback_id, source, error=f"undecodable line: {exc}")
            continue
        if number == 1:
            line = line.removeprefix("\ufeff")  # a UTF-8 byte order mark
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            yield BatchItem(fallback_id, source, error=f"invalid JSON: {exc}")
            continue
        if not isinstance(row, dict):
            yield BatchItem(fallback_id, source, error="not a JSON object")
            continue
        input_id = str(row.get("id") or fallback_id)
        title = str(row.get("title") or "").strip()
        text = row.get("text")
        if not isinstance(text, str) or not text.strip():
            text = row.get("body")  # ingest puts the title above it (headline is analysed)
        if not isinstance(text, str):
            yield BatchItem(input_id, input_id, title, error="no 'text' or 'body' field")
            continue
        yield BatchItem(input_id, input_id, title, text=text)


def _folder_files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)
    )


def _file_item(path: Path, input_id: str) -> BatchItem:
    try:
        return BatchItem(input_id, input_id, data=path.read_bytes())
    except OSError as exc:
        return BatchItem(input_id, input_id, error=f"cannot read file: {exc.strerror or exc}")


def _is_jsonl(path: Path) -> bool:
    return path.suffix.lower() in JSONL_SUFFIXES


def count_items(input_path: Path) -> int:
    """How many items ``iter_items`` yields (cheap: no parsing of JSONL lines)."""
    if input_path.is_dir():
        return len(_folder_files(input_path))
    if _is_jsonl(input_path):
        return sum(1 for _ in _jsonl_lines(input_path))
    return 1


def iter_items(input_path: Path) -> Iterator[BatchItem]:
    """The input items of a folder, a JSONL file or a single article file, in a stable order."""
    if input_path.is_dir():
        for path in _folder_files(input_path):
            yield _file_item(path, path.relative_to(input_path).as_posix())
    elif _is_jsonl(input_path):
        yield from _jsonl_items(input_path)
    else:
        yield _file_item(input_path, input_path.name)


# --------------------------------------------------------------------------- analysis


def _error_row(item: BatchItem, message: str) -> dict[str, Any]:
    return {
        "id": None,
        "input_id": item.input_id,
        "source": item.source,
        "title": item.title,
        "error": message,
    }


def _ingest(item: BatchItem):
    from pipeline.ingest import document_from_text, read_document

    if item.data is not None:
        return read_document(item.data, item.input_id)
    return document_from_text(item.text, source=item.source, title=item.title)


def analyze_chunk(items: list[BatchItem], batch_size: int = 32) -> list[dict[str, Any]]:
    """Ingest and analyse one chunk; one output row per item, in order, never raising for a
    bad article (its row carries the error instead). Runs in workers, so it loads the model
    through the process-wide ``load_nlp`` cache: once per worker."""
    from pipeline import analyze, analyze_many
    from pipeline.ingest import IngestError
    from pipeline.nlp import load_nlp

    load_nlp()  # a model that cannot load fails the run here, not as one error per article
    rows: list[dict[str, Any] | None] = [None] * len(items)
    documents, positions = [], []
    for index, item in enumerate(items):
        if item.error:
            rows[index] = _error_row(item, item.error)
            continue
        try:
            documents.append(_ingest(item))
            positions.append(index)
        except IngestError as exc:
            rows[index] = _error_row(item, str(exc))
        except Exception as exc:  # noqa: BLE001 - one broken file must not stop the run
            rows[index] = _error_row(item, f"ingest failed: {type(exc).__name__}: {exc}")

    def finish(index: int, analysis) -> None:
        row = analysis.to_dict()
        row["input_id"] = items[index].input_id
        row["error"] = None
        rows[index] = row

    try:
        for index, analysis in zip(
            positions, analyze_many(documents, batch_size=batch_size), strict=True
        ):
            finish(index, analysis)
    except Exception:  # noqa: BLE001
        # A stage failed on some article inside the batched pass: redo the rest one by one
        # to find it and keep the others.
        for index, document in zip(positions, documents, strict=True):
            if rows[index] is not None:
                continue
            try:
                finish(index, analyze(document))
            except Exception as exc:  # noqa: BLE001
                rows[index] = _error_row(
                    items[index], f"analysis failed: {type(exc).__name__}: {exc}"
                )
    return rows  # type: ignore[return-value]


def _warm_worker() -> None:
    """Load what the first article would otherwise pay for: the spaCy model and the
    language detector's models (lingua loads them lazily, seconds on first use)."""
    from pipeline.ingest import detect_language
    from pipeline.nlp import load_nlp

    load_nlp()
    detect_language(SAMPLE_PATH.read_text(encoding="utf-8")[:3000])


try:  # the Dask plugin class only exists when distributed is installed
    from distributed.diagnostics.plugin import WorkerPlugin

    class ModelPreload(WorkerPlugin):
        """Loads the spaCy model when a Dask worker starts, once per worker process."""

        def setup(self, worker) -> None:
            _warm_worker()

except ImportError:  # pragma: no cover
    ModelPreload = None  # type: ignore[assignment,misc]


class _Ready:
    """A finished result with the Future interface, for the in-process engine."""

    def __init__(self, value):
        self._value = value

    def result(self):
        return self._value


def _chunks(items: Iterable[BatchItem], size: int) -> Iterator[list[BatchItem]]:
    chunk: list[BatchItem] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _ordered_results(submit: Callable, chunks: Iterable[list[BatchItem]], window: int):
    """Submit chunks keeping at most ``window`` in flight; yield their rows in input order."""
    in_flight: deque = deque()
    for chunk in chunks:
        in_flight.append(submit(chunk))
        if len(in_flight) >= window:
            yield in_flight.popleft().result()
    while in_flight:
        yield in_flight.popleft().result()


# --------------------------------------------------------------------------- output


def _read_jsonl_rows(
    path: Path, *, repair: bool, bad_lines: list[int] | None = None
) -> list[dict[str, Any]]:
    """Rows of a JSONL output. A line that is not a JSON object is skipped (its number is
    appended to ``bad_lines``) but never deleted: the rows after it are as good as any. Only
    an unreadable *last* line without its newline is a torn write (crash mid-write); with
    ``repair`` it is cut off, and a whole last row that lacks its newline gets one, so the
    next append starts on a line of its own."""
    if not path.exists():
        return []
    rows: list[dict[str, Any]] = []
    size = offset = 0
    torn_at: int | None = None
    with path.open("rb") as f:
        for number, raw in enumerate(f, start=1):
            start, offset = offset, offset + len(raw)
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
            except ValueError:  # JSONDecodeError, or UnicodeDecodeError for non-UTF-8 bytes
                if not raw.endswith(b"\n"):  # only the last line can lack its newline
                    torn_at = start
                    continue
                row = None
            if isinstance(row, dict):
                rows.append(row)
            elif bad_lines is not None:
                bad_lines.append(number)
        size = offset
    if repair and size:
        if torn_at is not None:
            with path.open("r+b") as f:
                f.truncate(torn_at)
        elif not raw.endswith(b"\n"):
            with path.open("ab") as f:
                f.write(b"\n")
    return rows


class _JsonlSink:
    """Appends rows to a JSONL file, flushed per chunk; the file is its own checkpoint."""

    def __init__(self, path: Path):
        self.path = path
        self.bad_lines: list[int] = []  # unreadable lines found in the existing output
        rows = _read_jsonl_rows(path, repair=True, bad_lines=self.bad_lines)
        self.done_ids = {r.get("input_id") for r in rows}
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = path.open("a", encoding="utf-8")

    def write(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            self._file.write(json.dumps(row, ensure_ascii=False) + "\n")
        self._file.flush()

    def close(self, *, finished: bool) -> None:
        self._file.close()


def sibling_path(output: Path, table: str) -> Path:
    """``out.parquet`` -> ``out.entities.parquet`` (and quotes, companies)."""
    return output.with_name(f"{output.stem}.{table}.parquet")


def checkpoint_path(output: Path) -> Path:
    return output.with_name(output.name + ".partial.jsonl")


def _row_from_article(record: dict[str, Any]) -> dict[str, Any]:
    if record.get("analysis_json"):
        row = json.loads(record["analysis_json"])
        row["input_id"] = record.get("input_id") or row.get("id")
        row["error"] = None
        return row
    return {k: record.get(k) for k in ("id", "input_id", "source", "title", "error")}


class _ParquetSink:
    """Rows go to a JSONL checkpoint; ``close(finished=True)`` writes the Parquet tables."""

    def __init__(self, path: Path):
        self.path = path
        self.checkpoint = checkpoint_path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        if not self.checkpoint.exists() and path.exists():
            import pandas as pd

            seed = [_row_from_article(r) for r in pd.read_parquet(path).to_dict("records")]
            self._jsonl = _JsonlSink(self.checkpoint)
            self._jsonl.write(seed)
            self._jsonl.done_ids.update(r.get("input_id") for r in seed)
        else:
            self._jsonl = _JsonlSink(self.checkpoint)
        self.done_ids = self._jsonl.done_ids
        self.bad_lines = self._jsonl.bad_lines

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._jsonl.write(rows)

    def close(self, *, finished: bool) -> None:
        self._jsonl.close(finished=finished)
        if finished:
            write_parquet(_read_jsonl_rows(self.checkpoint, repair=False), self.path)
            self.checkpoint.unlink()


def articles_record(row: dict[str, Any]) -> dict[str, Any]:
    """One row of the Parquet articles table."""
    failed = row.get("error") is not None
    analysis = None if failed else {k: v for k, v in row.items() if k not in ("input_id", "error")}
    text = row.get("text") or ""
    return {
        "input_id": row.get("input_id"),
        "id": row.get("id"),
        "source": row.get("source"),
        "title": row.get("title"),
        "language": row.get("language"),
        "chars": len(text),
        "words": len(text.split()),
        "error": row.get("error"),
        "analysis_json": None if failed else json.dumps(analysis, ensure_ascii=False),
    }


def _atomic_parquet(frame, path: Path) -> None:
    tmp = path.with_name(path.name + ".tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)


def write_parquet(rows: list[dict[str, Any]], output: Path) -> None:
    """Write the articles table and its entity/quote/company siblings from output rows."""
    import pandas as pd

    from pipeline import tables
    from pipeline.model import Analysis, Document

    builders = {
        "entities": tables.entities_frame,
        "quotes": tables.quotes_frame,
        "companies": tables.companies_frame,
    }
    empty = Analysis(document=Document(text=""))
    parts: dict[str, list] = {name: [builders[name](empty)] for name in SIBLING_TABLES}
    for row in rows:
        if row.get("error") is not None:
            continue
        analysis = Analysis.from_dict(row)
        for name, build in builders.items():
            frame = build(analysis)
            if len(frame):
                parts[name].append(frame.assign(id=analysis.doc_id))
    for name in SIBLING_TABLES:
        frame = (
            pd.concat(parts[name], ignore_index=True) if len(parts[name]) > 1 else parts[name][0]
        )
        if "id" not in frame.columns:
            frame = frame.assign(id=pd.Series(dtype="string"))
        frame = frame[["id", *[c for c in frame.columns if c != "id"]]]
        _atomic_parquet(frame, sibling_path(output, name))
    articles = pd.DataFrame(
        [articles_record(r) for r in rows],
        columns=list(articles_record({}).keys()),
    )
    _atomic_parquet(articles, output)


def read_output(path: Path | str) -> list[dict[str, Any]]:
    """The rows of a finished (or partial JSONL) batch output, as written by ``run_batch``."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        import pandas as pd

        return [_row_from_article(r) for r in pd.read_parquet(path).to_dict("records")]
    return _read_jsonl_rows(path, repair=False)


# --------------------------------------------------------------------------- engines


class _Engine:
    """Context manager giving ``submit(chunk) -> future`` and how many chunks to keep queued."""

    def __init__(self, engine: str, n_process: int | None, batch_size: int, scheduler: str | None):
        default_processes = 2 if engine == "dask" else 1
        self.engine, self.batch_size = engine, batch_size
        self.n_process = n_process or default_processes
        self.scheduler = scheduler
        self._closers: list[Callable[[], None]] = []
        self.window = 1
        self.description = ""

    def __enter__(self) -> _Engine:
        if self.engine == "dask":
            self._start_dask()
        elif self.n_process > 1:
            from concurrent.futures import ProcessPoolExecutor

            methods = multiprocessing.get_all_start_methods()
            context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
            if context.get_start_method() == "fork":
                _warm_worker()  # loaded once here, shared copy-on-write by the forked workers
            pool = ProcessPoolExecutor(self.n_process, mp_context=context, initializer=_warm_worker)
            self._closers.append(lambda: pool.shutdown(cancel_futures=True))
            self._submit = lambda chunk: pool.submit(analyze_chunk, chunk, self.batch_size)
            self.window = 2 * self.n_process
            self.description = f"local, {self.n_process} processes"
        else:
            self._submit = lambda chunk: _Ready(analyze_chunk(chunk, self.batch_size))
            self.description = "local, 1 process"
        return self

    def _start_dask(self) -> None:
        from distributed import Client, LocalCluster

        if self.scheduler:
            client = Client(self.scheduler)
            self.description = f"dask at {self.scheduler}"
        else:
            cluster = LocalCluster(
                n_workers=self.n_process,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self._closers.append(cluster.close)
            client = Client(cluster)
            self.description = f"dask LocalCluster, {len(cluster.workers)} workers"
        self._closers.insert(0, client.close)
        client.register_plugin(ModelPreload(), name="newslens-model-preload")
        workers = max(len(client.scheduler_info().get("workers", {})), 1)
        self.window = 2 * workers + 1
        self._submit = lambda chunk: client.submit(
            analyze_chunk, chunk, self.batch_size, pure=False
        )

    def submit(self, chunk: list[BatchItem]):
        return self._submit(chunk)

    def __exit__(self, *exc) -> None:
        for close in self._closers:
            with contextlib.suppress(Exception):  # best-effort shutdown
                close()


# --------------------------------------------------------------------------- run


def _open_sink(output: Path):
    suffix = output.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return _JsonlSink(output)
    if suffix == ".parquet":
        return _ParquetSink(output)
    raise BatchUsageError(f"output must end in {', '.join(OUTPUT_SUFFIXES)}: {output}")


def _open_library(path: str | Path, summary: BatchSummary):
    from pipeline.library import open_library

    library = open_library(path)
    if getattr(library, "warning", None):
        summary.warnings.append(f"library: {library.warning}")
    return library


def run_batch(
    input_path: str | Path,
    output_path: str | Path,
    *,
    engine: str = "local",
    scheduler: str | None = None,
    n_process: int | None = None,
    batch_size: int = 32,
    chunk_size: int = 64,
    library: str | Path | None = None,
    progress: bool = True,
) -> BatchSummary:
    """Analyse every item of ``input_path`` not yet in ``output_path``; see the module doc.

    Raises ``BatchUsageError`` for a missing input or an unknown output format or engine; a
    bad article never raises, it becomes an error row.
    """
    from tqdm import tqdm

    input_path, output_path = Path(input_path), Path(output_path)
    if not input_path.exists():
        raise BatchUsageError(f"input not found: {input_path}")
    if engine not in ENGINES:
        raise BatchUsageError(f"engine must be one of {', '.join(ENGINES)}: {engine}")
    if output_path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise BatchUsageError(f"output must end in {', '.join(OUTPUT_SUFFIXES)}: {output_path}")

    _check_output_is_not_input(input_path, output_path)

    summary = BatchSummary(output=output_path, total=count_items(input_path))
    sink = _open_sink(output_path)
    if sink.bad_lines:
        summary.warnings.append(_bad_lines_warning(sink))
    store = _open_library(library, summary) if library else None
    bar = None

    def pending() -> Iterator[BatchItem]:
        for item in iter_items(input_path):
            if item.input_id in sink.done_ids:
                summary.skipped += 1
                bar.update(1)
            else:
                yield item

    started = time.perf_counter()
    finished = False
    try:
        with _Engine(engine, n_process, batch_size, scheduler) as runner:
            # Created after the engine: worker processes are forked before tqdm's thread runs.
            bar = tqdm(
                total=summary.total,
                unit="article",
                file=sys.stderr,
                disable=not progress,
                smoothing=0.1,
                desc=runner.description,
            )
            for rows in _ordered_results(
                runner.submit, _chunks(pending(), chunk_size), runner.window
            ):
                sink.write(rows)
                good = [r for r in rows if r.get("error") is None]
                summary.analysed += len(good)
                summary.errors += len(rows) - len(good)
                summary.words += sum(len(r["text"].split()) for r in good)
                if store is not None and good:
                    _save_to_library(store, good, summary)
                bar.update(len(rows))
        finished = True
    except KeyboardInterrupt:
        summary.interrupted = True
    finally:
        summary.seconds = time.perf_counter() - started
        if bar is not None:
            bar.close()
        sink.close(finished=finished)
        if store is not None:
            store.close()
    return summary


def _bad_lines_warning(sink) -> str:
    numbers = ", ".join(str(n) for n in sink.bad_lines[:10])
    more = f" (+{len(sink.bad_lines) - 10} more)" if len(sink.bad_lines) > 10 else ""
    where = sink.path if isinstance(sink, _JsonlSink) else sink.checkpoint
    kept = "kept in the file" if isinstance(sink, _JsonlSink) else "not carried into the Parquet"
    return (
        f"{where}: {len(sink.bad_lines)} unreadable line(s) skipped ({kept}): "
        f"line {numbers}{more}; their articles are analysed again"
    )


def _written_paths(output: Path) -> list[Path]:
    """Every file a run writes for ``output``."""
    if output.suffix.lower() == ".parquet":
        return [output, checkpoint_path(output), *(sibling_path(output, t) for t in SIBLING_TABLES)]
    return [output]


def _check_output_is_not_input(input_path: Path, output_path: Path) -> None:
    """Refuse an output that would append to the input, or that a folder input would pick up
    as one of its articles on the next run (paths resolved, symlinks and ``..`` included)."""
    source = input_path.resolve()
    for written in _written_paths(output_path):
        target = written.resolve()
        if target == source or (written.exists() and os.path.samefile(written, input_path)):
            raise BatchUsageError(f"output {written} is the input file; choose another --out")
        if input_path.is_dir() and target.is_relative_to(source):
            raise BatchUsageError(
                f"output {written} is inside the input folder {input_path}; "
                "choose an --out outside it"
            )


def _save_to_library(store, rows: list[dict[str, Any]], summary: BatchSummary) -> None:
    from pipeline.model import Analysis

    try:
        store.save_many([Analysis.from_dict(r) for r in rows])
    except Exception as exc:  # noqa: BLE001 - the output file is the record; warn, go on
        message = f"library: saving failed ({type(exc).__name__}: {exc})"
        if message not in summary.warnings:
            summary.warnings.append(message)


# --------------------------------------------------------------------------- CLI


def register_cli(subparsers) -> argparse.ArgumentParser:
    """Add the ``batch`` sub-command to the ``python -m pipeline`` parser."""
    parser = subparsers.add_parser(
        "batch",
        help="analyse a folder or JSONL of articles into a JSONL/Parquet file (resumable)",
        description=(
            "Analyse every article of INPUT (a folder of files, one file, or a JSONL with "
            "text/body, title, id per line) into OUTPUT (.jsonl or .parquet). Items already "
            "in OUTPUT are skipped, so re-running resumes an interrupted run."
        ),
    )
    parser.add_argument("input", metavar="INPUT", help="folder, article file or JSONL file")
    parser.add_argument("--out", required=True, metavar="OUTPUT", help="*.jsonl or *.parquet")
    parser.add_argument("--engine", choices=ENGINES, default="local")
    parser.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler (default: a local cluster)"
    )
    parser.add_argument(
        "--n-process",
        type=int,
        metavar="N",
        help="worker processes: local default 1, dask LocalCluster default 2",
    )
    parser.add_argument("--batch-size", type=int, default=32, metavar="N", help="nlp.pipe batch")
    parser.add_argument(
        "--chunk-size", type=int, default=64, metavar="N", help="articles per task/checkpoint"
    )
    parser.add_argument("--library", metavar="PATH", help="also save analyses to this library")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=_run_cli)
    return parser


def _run_cli(args: argparse.Namespace) -> int:
    if args.scheduler and args.engine != "dask":
        print("error: --scheduler needs --engine dask", file=sys.stderr)
        return 2
    if min(args.n_process or 1, args.batch_size, args.chunk_size) < 1:
        print("error: --n-process, --batch-size and --chunk-size must be >= 1", file=sys.stderr)
        return 2
    try:
        summary = run_batch(
            args.input,
            args.out,
            engine=args.engine,
            scheduler=args.scheduler,
            n_process=args.n_process,
            batch_size=args.batch_size,
            chunk_size=args.chunk_size,
            library=args.library,
            progress=not args.quiet,
        )
    except BatchUsageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - e.g. the model cannot load; output is kept
        print(f"error: the batch stopped: {type(exc).__name__}: {exc}", file=sys.stderr)
        print("fix the cause and re-run the same command to resume", file=sys.stderr)
        return 1
    for warning in summary.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(summary.describe(), file=sys.stderr)
    if summary.interrupted:
        print("re-run the same command to resume", file=sys.stderr)
        return 130
    return 0
