"""Library corpus views on 500 analysed articles: import time, query times, page rerun time.

    .venv/bin/python benchmarks/library_views.py [--analyses PATH] [--limit 500] [--repeat 7]

The analyses come from a cached JSONL (one ``Analysis.to_dict()`` a line, the batch CLI's
format). When the cache is missing it is produced with ``pipeline.analyze_many`` over the
shared xglue corpus (text = title + blank line + body), which takes minutes on a busy box.
Target: the whole Library tab reruns within 2 s of a filter change on 500 articles.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.library import open_library  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "xglue-news-de" / "articles.jsonl"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "newslens-bench" / "xglue-500.analyses.jsonl"
TARGET_SECONDS = 2.0

PAGE = """
import os
from components.library import render_library
from pipeline.library import open_library

if "library" not in st.session_state:
    st.session_state["library"] = open_library(os.environ["NEWSLENS_BENCH_LIBRARY"])
render_library(st.session_state["library"], lambda analysis: None)
"""


def produce_analyses(cache: Path, limit: int) -> None:
    """Analyse the corpus once and keep the result (written atomically)."""
    from pipeline import analyze_many
    from pipeline.ingest import document_from_text

    rows = [json.loads(line) for line in CORPUS.open(encoding="utf-8")][:limit]
    documents = (
        document_from_text(f"{r['title']}\n\n{r['body']}", source=r["id"], title=r["title"])
        for r in rows
    )
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(".partial")
    started = time.perf_counter()
    with partial.open("w", encoding="utf-8") as out:
        for done, analysis in enumerate(analyze_many(documents), 1):
            out.write(json.dumps({**analysis.to_dict(), "error": None}, ensure_ascii=False) + "\n")
            if done % 50 == 0:
                print(f"  analysed {done}/{len(rows)} ({time.perf_counter() - started:.0f} s)")
    partial.replace(cache)


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Median wall time in seconds over ``repeat`` runs (after one warm-up) and the result."""
    result = fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def page_rerun_seconds(library_path: Path, query: str, repeat: int) -> tuple[float, float]:
    """Script-run time of the Library tab (AppTest, no browser) for the first run and a
    search change: all queries plus building the Altair specs and tables."""
    import os

    from streamlit.testing.v1 import AppTest

    os.environ["NEWSLENS_BENCH_LIBRARY"] = str(library_path)
    at = AppTest.from_string("import streamlit as st\n" + PAGE, default_timeout=60)
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    changes = []
    for i in range(repeat):
        at.text_input[0].input(query if i % 2 == 0 else "")
        t0 = time.perf_counter()
        at.run()
        changes.append(time.perf_counter() - t0)
    if at.exception:
        raise RuntimeError(at.exception)
    at.session_state["library"].close()
    return first, statistics.median(changes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analyses", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    if not args.analyses.exists():
        print(f"No cached analyses at {args.analyses}; analysing {args.limit} articles ...")
        produce_analyses(args.analyses, args.limit)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "library.duckdb"
        library = open_library(path)
        t0 = time.perf_counter()
        result = library.import_batch(args.analyses)
        import_seconds = time.perf_counter() - t0
        overview = library.overview()
        model = library._con.execute("SELECT any_value(model) FROM articles").fetchone()[0]
        print(
            f"library: {overview['articles']} articles, {overview['entities']} entity rows, "
            f"{overview['companies']} company rows, {overview['quotes']} quotes "
            f"(model {model}); import {import_seconds:.2f} s ({result.skipped} skipped)"
        )
        top = library.top_entities(limit=1)
        query = str(top["name"].iloc[0]) if not top.empty else "der"
        filtered = list(library.search(query, limit=len(library))["id"])
        print(f"filtered set: search {query!r} -> {len(filtered)} articles\n")

        queries = {
            "search": lambda ids: library.search(query, limit=len(library)),
            "overview": library.overview,
            "top_entities": library.top_entities,
            "top_entities ORG": lambda ids: library.top_entities(ids, label=["ORG"]),
            "company_roles": library.company_roles,
            "co_mentions": library.co_mentions,
            "quotes_per_speaker": library.quotes_per_speaker,
            "mentions_over_time": library.mentions_over_time,
        }
        print(f"{'query (median of ' + str(args.repeat) + ')':<28}{'whole':>10}{'filtered':>10}")
        total = {"whole": 0.0, "filtered": 0.0}
        for name, query_fn in queries.items():
            cells = []
            for scope, ids in (("whole", None), ("filtered", filtered)):
                seconds, _ = timed(lambda q=query_fn, i=ids: q(i), args.repeat)
                total[scope] += seconds
                cells.append(f"{seconds * 1000:8.1f}ms")
            print(f"{name:<28}{cells[0]:>10}{cells[1]:>10}")
        print(
            f"{'all queries of one rerun':<28}{total['whole'] * 1000:8.1f}ms"
            f"{total['filtered'] * 1000:8.1f}ms"
        )
        library.close()

        first, change = page_rerun_seconds(path, query, args.repeat)
        verdict = "OK" if change <= TARGET_SECONDS else "TOO SLOW"
        print(
            f"\nLibrary tab script run: first {first:.2f} s, after a search change "
            f"{change:.2f} s (median; target {TARGET_SECONDS:.0f} s: {verdict})"
        )


if __name__ == "__main__":
    main()
