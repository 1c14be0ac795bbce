"""Library tab in a real headless Chromium: time from a search change to re-rendered corpus views.

    .venv/bin/python benchmarks/library_browser.py [--analyses PATH] [--terms Berlin Trump ...]

A fresh library of 500 analysed xglue articles is imported into a temporary
NEWSLENS_DATA_DIR, ``streamlit run app.py`` serves it, and Playwright drives /usr/bin/chromium:
open the Library tab, then for each term fill the search box and press Enter.

Timing is taken inside the page (``performance.now()``), so Playwright's polling adds nothing:
start = the Enter ``keydown`` event; end = the later of (a) the app's script state turning
``notRunning`` and (b) the last DOM mutation inside a chart (``.vega-embed``). The wait is over
when the app is idle, the article count caption shows the expected figure (computed from the
same library beforehand), no element is stale, every chart has drawn its svg/canvas and the
charts have not changed for QUIET_MS (that quiet window is not part of the figure).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from app_server import CHROMIUM, IDLE, LAUNCH_ARGS, running_app  # noqa: E402

from pipeline.library import open_library  # noqa: E402

CORPUS = ROOT.parent / "shared" / "corpora" / "xglue-news-de" / "articles.jsonl"
DEFAULT_CACHE = Path(tempfile.gettempdir()) / "newslens-bench" / "xglue-500.analyses.jsonl"
BATCH_OUT = Path(tempfile.gettempdir()) / "newslens-bench" / "xglue-500.jsonl"
RESULTS = ROOT / "benchmarks" / "results"
SEARCH = 'input[aria-label="Search the library"]'
QUIET_MS = 750
TARGET_SECONDS = 2.0

# Installed before each keypress: records the Enter keydown, the moment the script state
# turns notRunning, and the last mutation inside any chart.
INSTRUMENT = """
() => {
  const w = window;
  w.__nlSig = () => [...document.querySelectorAll('.vega-embed')].map(c => {
    const svg = c.querySelector('svg'), canvas = c.querySelector('canvas');
    return svg ? svg.outerHTML : canvas ? canvas.toDataURL() : '';
  });
  if (w.__nlObs) { w.__nlObs.forEach(o => o.disconnect()); }
  w.__nl = {start: null, idle: null, chart: null, running: false, before: w.__nlSig()};
  const app = document.querySelector('[data-testid="stApp"]');
  const stateObs = new MutationObserver(() => {
    if (w.__nl.start === null) return;
    w.__nl.running = true;  // the state changed after the keypress: a run happened
    if (app.getAttribute('data-test-script-state') === 'notRunning') { w.__nl.idle = performance.now(); }
  });
  stateObs.observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
  const chartObs = new MutationObserver(records => {
    if (w.__nl.start === null) return;
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (el && (el.closest('.vega-embed') || (el.querySelector && el.querySelector('.vega-embed'))
                 || [...r.addedNodes, ...r.removedNodes].some(
                      n => n.nodeType === 1 && (n.matches('.vega-embed') || n.querySelector('.vega-embed'))))) {
        w.__nl.chart = performance.now();
        return;
      }
    }
  });
  chartObs.observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  w.__nlObs = [stateObs, chartObs];
  if (!w.__nlKey) {  // on the document: React may replace the input element between runs
    w.__nlKey = e => {
      if (e.key === 'Enter' && e.target.matches('__SEARCH__') && w.__nl.start === null) {
        w.__nl.start = performance.now();
      }
    };
    document.addEventListener('keydown', w.__nlKey, {capture: true});
  }
}
""".replace("__SEARCH__", SEARCH.replace("'", "\\'"))

# Done when: idle after a run, expected caption shown, nothing stale, charts drawn and quiet.
DONE = """
([expected, quietMs]) => {
  const n = window.__nl;
  if (!n || n.start === null || !n.running || n.idle === null) return false;
  if (!document.querySelector('__IDLE__')) return false;
  const text = document.body.innerText;
  if (!text.includes(expected)) return false;
  if (document.querySelector('[data-stale="true"]')) return false;
  const charts = [...document.querySelectorAll('.vega-embed')];
  if (!charts.length || !charts.every(c => c.querySelector('svg, canvas'))) return false;
  const last = Math.max(n.idle, n.chart || 0);
  return performance.now() - last >= quietMs;
}
""".replace("__IDLE__", IDLE)

DIAGNOSE = """
(expected) => ({
  marks: window.__nl,
  state: document.querySelector('[data-testid="stApp"]').getAttribute('data-test-script-state'),
  caption: document.body.innerText.includes(expected),
  stale: document.querySelectorAll('[data-stale="true"]').length,
  charts: [...document.querySelectorAll('.vega-embed')].map(c => !!c.querySelector('svg, canvas')),
  input: document.querySelector('__SEARCH__').value,
})
""".replace("__SEARCH__", SEARCH)


def analyses_file(path: Path) -> Path:
    if path.exists():
        return path
    print(f"No cached analyses at {path}; running the batch CLI (1-2 min) ...")
    BATCH_OUT.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pipeline", "batch", str(CORPUS), "--out", str(BATCH_OUT)],
        cwd=ROOT,
        check=True,
    )
    return BATCH_OUT


def expected_captions(library_path: Path, terms: list[str]) -> tuple[dict[str, str], dict, int]:
    """What the page must show for each term, from the same library (closed afterwards)."""
    library = open_library(library_path)
    try:
        total = len(library)
        captions, counts = {}, {}
        for term in terms:
            found = len(library.search(term, limit=max(total, 1)))
            counts[term] = found
            captions[term] = (
                f"{found} of {total} stored articles"
                if found
                else "No stored article matches this search."
            )
        return captions, counts, total
    finally:
        library.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--analyses", type=Path, default=DEFAULT_CACHE)
    parser.add_argument("--terms", nargs="+", default=["Berlin", "Trump", "Bayern", "Apple", ""])
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    source = analyses_file(args.analyses)
    with tempfile.TemporaryDirectory(prefix="newslens-libbrowser-") as tmp:
        data_dir = Path(tmp) / "data"
        library_path = data_dir / "library.duckdb"
        library = open_library(library_path)
        t0 = time.perf_counter()
        imported = library.import_batch(source)
        import_seconds = time.perf_counter() - t0
        overview = library.overview()
        library.close()
        captions, counts, total = expected_captions(library_path, args.terms)
        print(
            f"library: {total} articles, {overview['entities']} entity rows, "
            f"{overview['quotes']} quotes; import {import_seconds:.2f} s "
            f"({imported.skipped} skipped)"
        )

        env = {
            "NEWSLENS_DATA_DIR": str(data_dir),
            "NEWSLENS_CACHE_DIR": str(Path(tmp) / "cache"),
            "NEWSLENS_OFFLINE_TESTS": "1",
        }
        rows = []
        with (
            running_app(env, Path(tmp) / "streamlit.log") as url,
            sync_playwright() as playwright,
        ):
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(120_000)
            t0 = time.perf_counter()
            page.goto(url)
            page.wait_for_selector(IDLE)
            page.get_by_role("tab", name="Library").click()
            page.wait_for_selector(SEARCH)
            page.wait_for_selector(IDLE)
            page.wait_for_function(
                "() => { const c = [...document.querySelectorAll('.vega-embed')];"
                " return c.length > 0 && c.every(e => e.querySelector('svg, canvas')); }"
            )
            page.wait_for_selector(f"text={total} of {total} stored articles")
            first_seconds = time.perf_counter() - t0
            print(
                f"page load + Library tab with charts: {first_seconds:.2f} s (wall, incl. polling)\n"
            )

            box = page.locator(SEARCH)
            previous = ""
            for term in args.terms:
                if term == previous:  # no change, no rerun: skip
                    continue
                page.evaluate(INSTRUMENT)
                box.fill(term)
                box.press("Enter")
                try:
                    page.wait_for_function(
                        DONE, arg=[captions[term], QUIET_MS], polling=50, timeout=60_000
                    )
                except Exception:
                    print("  timed out; page state:", page.evaluate(DIAGNOSE, captions[term]))
                    raise
                marks = page.evaluate(
                    "() => { const n = window.__nl, now = window.__nlSig();"
                    " return {...n, changed: now.filter((x, i) => x !== n.before[i]).length,"
                    " before: n.before.length}; }"
                )
                end = max(marks["idle"], marks["chart"] or 0)
                seconds = (end - marks["start"]) / 1000
                charts = page.locator(".vega-embed").count()
                rows.append(
                    {
                        "term": term,
                        "matches": counts[term],
                        "seconds": round(seconds, 3),
                        "script_idle_seconds": round((marks["idle"] - marks["start"]) / 1000, 3),
                        "last_chart_mutation_seconds": (
                            round((marks["chart"] - marks["start"]) / 1000, 3)
                            if marks["chart"] is not None
                            else None
                        ),
                        "charts": charts,
                        "charts_changed": marks["changed"],
                    }
                )
                print(f"  {term!r}: {seconds:.3f} s")
                previous = term
            browser.close()

    times = [r["seconds"] for r in rows]
    summary = {
        "median_seconds": round(statistics.median(times), 3),
        "max_seconds": round(max(times), 3),
        "target_seconds": TARGET_SECONDS,
    }
    print(
        "\n| term | matches | charts (changed) | script idle, s | last chart change, s | seconds |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for r in rows:
        chart = r["last_chart_mutation_seconds"]
        print(
            f"| {r['term']!r} | {r['matches']} | {r['charts']} ({r['charts_changed']}) | "
            f"{r['script_idle_seconds']:.3f} | {'-' if chart is None else f'{chart:.3f}'} | "
            f"{r['seconds']:.3f} |"
        )
    print(
        f"\nmedian {summary['median_seconds']:.3f} s · max {summary['max_seconds']:.3f} s "
        f"(target ≤ {TARGET_SECONDS} s)"
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {
        "benchmark": "library_browser",
        "when": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "articles": total,
        "analyses": str(source),
        "import_seconds": round(import_seconds, 3),
        "first_render_seconds": round(first_seconds, 3),
        "quiet_ms": QUIET_MS,
        "rows": rows,
        **summary,
        "loadavg": os.getloadavg(),
        "python": platform.python_version(),
    }
    out = RESULTS / "library_browser-latest.json"
    out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
