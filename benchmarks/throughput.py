"""Throughput of the analysis pipeline on real news articles.

Measures, in one process over the first N articles (default 200) of the shared xglue corpus
(text = title + "\\n\\n" + body, through ``pipeline.ingest.document_from_text``):

- model load time (``load_nlp``) and the language detector's first-use cost (ingest);
- words/s of the bare spaCy pass (``nlp.pipe``) and of the full ``pipeline.analyze_many``,
  and their ratio (target: full >= 3,000 words/s and <= 1.5x the bare pass);
- per-stage seconds (ingest, nlp, entities, quotes, companies; ``Analysis.timings``);
- peak memory (``ru_maxrss``; tracemalloc peak of the Python heap during a full pass);
- scaling: full analysis of 50, 100, 200, 400 articles (s per 1,000 words should be flat);
- ``analyze_many(n_process=1)`` vs ``n_process=2`` and the batch engine's 1 vs 2 processes.

Usage: ``.venv/bin/python benchmarks/throughput.py [--articles 200] [--quick]``.
Prints a Markdown table and writes JSON to benchmarks/results/ (git-ignored).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CORPUS = ROOT.parent / "shared" / "corpora" / "xglue-news-de" / "articles.jsonl"
RESULTS = Path(__file__).resolve().parent / "results"
STAGES = ("entities", "quotes", "companies")
TARGET_WORDS_PER_SECOND = 3000
TARGET_RATIO = 1.5


def words_in(texts) -> int:
    return sum(len(t.split()) for t in texts)


def read_corpus(path: Path, limit: int) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            rows.append(json.loads(line))
            if len(rows) >= limit:
                break
    return rows


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def busy_processes() -> list[str]:
    """Other CPU-heavy processes (e.g. the NER training run) sharing the machine."""
    try:
        out = subprocess.run(
            ["ps", "-eo", "pid,pcpu,args", "--sort=-pcpu", "--no-headers"],
            capture_output=True,
            text=True,
            timeout=5,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    busy = []
    for line in out.splitlines():
        pid, cpu, args = line.strip().split(None, 2)
        if int(pid) != os.getpid() and float(cpu) >= 30 and not args.startswith("ps "):
            busy.append(f"{float(cpu):.0f}% {args[:100]}")
    return busy


LAST_CPU_SECONDS = [0.0]  # CPU time of the last ``timed`` call (this process only)


def timed(fn, *args, **kwargs):
    """Result and wall seconds of ``fn``; its CPU seconds go to LAST_CPU_SECONDS, a figure
    that other jobs on the machine disturb far less than wall time."""
    gc.collect()
    c0, t0 = time.process_time(), time.perf_counter()
    result = fn(*args, **kwargs)
    LAST_CPU_SECONDS[0] = time.process_time() - c0
    return result, time.perf_counter() - t0


def bare_pass(nlp, texts, batch_size):
    for _ in nlp.pipe(texts, batch_size=batch_size):
        pass


def full_pass(documents, batch_size, n_process=1):
    from pipeline import analyze_many

    return list(analyze_many(documents, batch_size=batch_size, n_process=n_process))


def batch_engine(rows, n_process, batch_size) -> float:
    """Seconds for ``run_batch`` (ingest + analysis + JSONL writing) over ``rows``."""
    from pipeline.batch import run_batch

    with tempfile.TemporaryDirectory() as tmp:
        source, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
        source.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
        summary = run_batch(source, out, n_process=n_process, batch_size=batch_size, progress=False)
        if summary.errors:
            print(f"  note: {summary.errors} batch errors", file=sys.stderr)
        return summary.seconds


def run(args) -> dict:
    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "loadavg_start": os.getloadavg(),
            "busy_processes": busy_processes(),
        },
        "articles": args.articles,
        "batch_size": args.batch_size,
    }

    t0 = time.perf_counter()
    import spacy

    import pipeline.nlp
    from pipeline.ingest import document_from_text
    from pipeline.nlp import load_nlp, model_name

    if args.model:  # a candidate model in place of models/de_newslens_ner
        pipeline.nlp.SHIPPED_MODEL = args.model.resolve()

    results["import_seconds"] = time.perf_counter() - t0
    nlp, results["model_load_seconds"] = timed(load_nlp)
    results["model"] = model_name()
    results["pipes"] = list(nlp.pipe_names)
    results["spacy"] = spacy.__version__
    results["rss_after_load_mb"] = peak_rss_mb()

    n_max = max([args.articles, *args.scaling]) if args.scaling else args.articles
    rows = read_corpus(args.corpus, n_max)

    def ingest(row):
        return document_from_text(row["body"], source=row["id"], title=row["title"])

    # The first pass pays for lazily loaded data (lingua loads language models on first use).
    _, cold_ingest = timed(lambda: [ingest(r) for r in rows])
    all_documents, ingest_seconds = timed(lambda: [ingest(r) for r in rows])
    results["ingest_cold_extra_seconds"] = cold_ingest - ingest_seconds
    documents = all_documents[: args.articles]
    texts = [d.text for d in documents]
    words = words_in(texts)
    results["words"] = words
    ingest_share = ingest_seconds * len(documents) / len(all_documents)

    # Steady state: the vocab has seen every text, lazily loaded stage data is in memory.
    bare_pass(nlp, [d.text for d in all_documents], args.batch_size)
    full_pass(documents[:10], args.batch_size)

    bare_runs, full_runs, analyses = [], [], []
    for _ in range(args.repeat):
        _, seconds = timed(bare_pass, nlp, texts, args.batch_size)
        bare_runs.append((seconds, LAST_CPU_SECONDS[0]))
        analyses, seconds = timed(full_pass, documents, args.batch_size)
        full_runs.append((seconds, LAST_CPU_SECONDS[0]))
    (bare, bare_cpu), (full, full_cpu) = min(bare_runs), min(full_runs)
    stage_seconds = {s: sum(a.timings.get(s, 0.0) for a in analyses) for s in STAGES}
    results["bare_nlp"] = {
        "seconds": bare,
        "words_per_second": words / bare,
        "cpu_seconds": bare_cpu,
        "words_per_cpu_second": words / bare_cpu,
    }
    results["full"] = {
        "seconds": full,
        "words_per_second": words / full,
        "cpu_seconds": full_cpu,
        "words_per_cpu_second": words / full_cpu,
    }
    results["full_over_bare"] = full / bare
    results["full_over_bare_cpu"] = full_cpu / bare_cpu
    results["stages"] = {
        "ingest": ingest_share,
        "nlp": full - sum(stage_seconds.values()),
        **stage_seconds,
    }
    results["found"] = {
        "entities": sum(len(a.entities) for a in analyses),
        "quotes": sum(len(a.quotes) for a in analyses),
        "companies": sum(len(a.companies) for a in analyses),
    }

    tracemalloc.start()
    full_pass(documents[: args.tracemalloc_articles], args.batch_size)
    results["tracemalloc_peak_mb"] = tracemalloc.get_traced_memory()[1] / 2**20
    results["tracemalloc_articles"] = args.tracemalloc_articles
    tracemalloc.stop()

    # Sizes interleaved, best of N each: a burst of load from other jobs hits one round only.
    runs: dict[int, list[tuple[float, float]]] = {n: [] for n in args.scaling}
    for _ in range(args.scaling_repeat):
        for n in args.scaling:
            _, seconds = timed(full_pass, all_documents[:n], args.batch_size)
            runs[n].append((seconds, LAST_CPU_SECONDS[0]))
    scaling = []
    for n in args.scaling:
        n_words = words_in(d.text for d in all_documents[:n])
        seconds, cpu = min(runs[n])
        scaling.append(
            {
                "articles": min(n, len(all_documents)),
                "words": n_words,
                "seconds": seconds,
                "cpu_seconds": cpu,
                "words_per_second": n_words / seconds,
                "ms_per_1000_words": 1e6 * seconds / n_words,
                "cpu_ms_per_1000_words": 1e6 * cpu / n_words,
            }
        )
    results["scaling"] = scaling
    results["scaling_repeat"] = args.scaling_repeat

    if not args.skip_processes:
        _, one = timed(full_pass, documents, args.batch_size, 1)
        _, two = timed(full_pass, documents, args.batch_size, 2)
        results["analyze_many_processes"] = {
            "1": {"seconds": one, "words_per_second": words / one},
            "2": {"seconds": two, "words_per_second": words / two},
        }
        batch_rows = rows[: args.articles]
        one = batch_engine(batch_rows, 1, args.batch_size)
        two = batch_engine(batch_rows, 2, args.batch_size)
        results["batch_engine_processes"] = {
            "1": {"seconds": one, "words_per_second": words / one},
            "2": {"seconds": two, "words_per_second": words / two},
        }

    results["peak_rss_mb"] = peak_rss_mb()
    results["machine"]["loadavg_end"] = os.getloadavg()
    return results


def render(r: dict) -> str:
    """The results as Markdown tables."""
    full, bare = r["full"], r["bare_nlp"]
    ok_speed = full["words_per_second"] >= TARGET_WORDS_PER_SECOND
    ok_ratio = r["full_over_bare"] <= TARGET_RATIO
    busy = "; ".join(r["machine"]["busy_processes"]) or "none seen"
    lines = [
        f"Run {r['when']} · model `{r['model']}` (pipes: {', '.join(r['pipes'])}) · "
        f"spaCy {r['spacy']} · {r['machine']['cpus']} CPUs · load avg "
        f"{r['machine']['loadavg_start'][0]:.2f} → {r['machine']['loadavg_end'][0]:.2f}",
        f"Other busy processes at start: {busy}",
        "",
        f"**{r['articles']} articles, {r['words']:,} words, batch size {r['batch_size']}**",
        "",
        "| measure | wall s | words/s | CPU s | words/CPU-s | target (wall) |",
        "|---|---:|---:|---:|---:|---|",
        f"| bare `nlp.pipe` | {bare['seconds']:.2f} | {bare['words_per_second']:,.0f} | "
        f"{bare['cpu_seconds']:.2f} | {bare['words_per_cpu_second']:,.0f} | |",
        f"| full `analyze_many` | {full['seconds']:.2f} | {full['words_per_second']:,.0f} | "
        f"{full['cpu_seconds']:.2f} | {full['words_per_cpu_second']:,.0f} | "
        f"≥ {TARGET_WORDS_PER_SECOND:,} {'✔' if ok_speed else '✘'} |",
        f"| full / bare | {r['full_over_bare']:.2f}× | | {r['full_over_bare_cpu']:.2f}× | | "
        f"≤ {TARGET_RATIO}× {'✔' if ok_ratio else '✘'} |",
        f"| model load (`load_nlp`) | {r['model_load_seconds']:.2f} | | | | |",
        f"| first ingest pass, extra (lazy language-model load) | "
        f"{r['ingest_cold_extra_seconds']:.2f} | | | | |",
        f"| imports (spaCy, pipeline) | {r['import_seconds']:.2f} | | | | |",
        "",
        "| stage | seconds | share of full | ms/article |",
        "|---|---:|---:|---:|",
    ]
    total = sum(r["stages"].values())
    for stage, seconds in r["stages"].items():
        lines.append(
            f"| {stage} | {seconds:.3f} | {100 * seconds / total:.1f}% | "
            f"{1000 * seconds / r['articles']:.2f} |"
        )
    found = r["found"]
    lines += [
        "",
        "(ingest: warm pass; nlp: full pass minus the post-NER stages, i.e. spaCy + glue)",
        "",
        f"Found: {found['entities']:,} entity mentions, {found['quotes']:,} quotes, "
        f"{found['companies']:,} companies.",
        "",
        f"Memory: peak RSS {r['peak_rss_mb']:.0f} MB (after model load "
        f"{r['rss_after_load_mb']:.0f} MB); tracemalloc peak of a full pass over "
        f"{r['tracemalloc_articles']} articles {r['tracemalloc_peak_mb']:.1f} MB.",
    ]
    if r["scaling"]:
        lines += [
            "",
            f"| scaling (best of {r.get('scaling_repeat', 1)}): articles | words | wall s | "
            "words/s | ms per 1,000 words | CPU ms per 1,000 words |",
            "|---:|---:|---:|---:|---:|---:|",
        ]
        for s in r["scaling"]:
            lines.append(
                f"| {s['articles']} | {s['words']:,} | {s['seconds']:.2f} | "
                f"{s['words_per_second']:,.0f} | {s['ms_per_1000_words']:.0f} | "
                f"{s['cpu_ms_per_1000_words']:.0f} |"
            )
    for key, title in (
        ("analyze_many_processes", "`analyze_many(n_process=…)` (spaCy pass in children)"),
        ("batch_engine_processes", "batch engine `--n-process` (whole chain per worker)"),
    ):
        if key in r:
            one, two = r[key]["1"], r[key]["2"]
            lines += [
                "",
                f"| {title} | seconds | words/s |",
                "|---|---:|---:|",
                f"| 1 process | {one['seconds']:.2f} | {one['words_per_second']:,.0f} |",
                f"| 2 processes | {two['seconds']:.2f} | {two['words_per_second']:,.0f} "
                f"({one['seconds'] / two['seconds']:.2f}× speed-up) |",
            ]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=1, help="best of N bare/full passes")
    parser.add_argument(
        "--scaling",
        type=lambda s: [int(x) for x in s.split(",") if x],
        default=[50, 100, 200, 400],
        help="article counts for the scaling run ('' to skip)",
    )
    parser.add_argument("--scaling-repeat", type=int, default=2, help="best of N per size")
    parser.add_argument(
        "--model", type=Path, help="spaCy model dir to use as the shipped model (default: repo's)"
    )
    parser.add_argument("--tracemalloc-articles", type=int, default=50)
    parser.add_argument("--skip-processes", action="store_true")
    parser.add_argument("--quick", action="store_true", help="40 articles, no scaling/processes")
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.quick:
        args.articles, args.scaling, args.skip_processes = 40, [], True
        args.tracemalloc_articles = 10

    results = run(args)
    table = render(results)
    print(table)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    stamp = results["when"].replace(":", "").replace("-", "")[:15]
    for name in (f"throughput-{stamp}.json", "throughput-latest.json"):
        (args.out_dir / name).write_text(json.dumps(results, indent=2), "utf-8")
    (args.out_dir / "throughput-latest.md").write_text(table + "\n", "utf-8")
    print(f"\nresults: {args.out_dir / f'throughput-{stamp}.json'}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
