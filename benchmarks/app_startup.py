"""App start-up: cold start to the analysed sample article, and warm re-renders.

Two ways to measure, both against the real ``app.py``:

- ``streamlit.testing`` AppTest (default): a fresh Python process runs the script once
  (cold: imports, model and language-detector load, sample analysis, first render), then
  re-runs it in the same session (warm re-render) and in a new session of the same process
  (warm new session: caches hot, session state empty).
- ``--browser``: a real ``streamlit run app.py`` server and headless Chromium (Playwright,
  /usr/bin/chromium): server start → sample visible in the page (cold), then a page reload
  (warm, new session on a hot server).

The sample counts as analysed when MARKER (default "Amit Jain", a person of the sample the
entity view lists) appears in the rendered elements/page and no script is still running.
The script only relies on app.py existing, so it keeps working while the page evolves.

Usage: ``.venv/bin/python benchmarks/app_startup.py [--browser] [--runs 3]``.
Prints a Markdown table and writes JSON to benchmarks/results/ (git-ignored).
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()  # before any heavy import: the cold clock starts here

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "app.py"
RESULTS = Path(__file__).resolve().parent / "results"


# --------------------------------------------------------------------------- AppTest child


def _children(node) -> list:
    children = getattr(node, "children", None)
    if isinstance(children, dict):
        return list(children.values())
    return list(children or [])


def _rendered_text(at) -> tuple[str, int]:
    """All text the run produced (value, label, body of every element, whatever its kind:
    markdown, st.html, tabs, metrics…) and the number of elements."""
    parts, count, stack = [], 0, [at._tree]
    while stack:
        node = stack.pop()
        count += 1
        for attr in ("value", "label", "body"):
            try:
                value = getattr(node, attr, None)
            except Exception:  # noqa: BLE001 - some element kinds raise for missing fields
                continue
            if isinstance(value, str):
                parts.append(value)
            elif value is not None and hasattr(value, "to_string"):  # a DataFrame
                parts.append(value.to_string())
        stack.extend(_children(node))
    return "\n".join(parts), count


def _apptest_run(at, marker: str) -> dict:
    t0 = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - t0
    text, elements = _rendered_text(at)
    return {
        "seconds": seconds,
        "elements": elements,
        "marker_found": marker in text,
        "exceptions": [str(getattr(e, "message", e))[:300] for e in at.exception],
    }


def apptest_child(marker: str, runs: int, timeout: float) -> dict:
    """Runs in a fresh process; reports its own timings as JSON on stdout."""
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    from streamlit.testing.v1 import AppTest

    imported = time.perf_counter() - PROCESS_START
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    cold = _apptest_run(at, marker)
    cold_total = time.perf_counter() - PROCESS_START
    warm = [_apptest_run(at, marker) for _ in range(max(runs - 1, 0))]
    fresh = _apptest_run(AppTest.from_file(str(APP), default_timeout=timeout), marker)
    return {
        "import_streamlit_testing_seconds": imported,
        "cold": cold,
        "cold_since_process_start_seconds": cold_total,
        "warm_reruns": warm,
        "warm_new_session": fresh,
    }


def run_apptest(marker: str, runs: int, timeout: float) -> dict:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            __file__,
            "--child",
            "--marker",
            marker,
            "--runs",
            str(runs),
            "--timeout",
            str(timeout),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout * (runs + 2),
    )
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        return {"error": f"child failed ({proc.returncode}): {proc.stderr[-2000:]}"}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["child_process_wall_seconds"] = wall
    return result


# --------------------------------------------------------------------------- browser


_RENDERED = """marker => {
    const failed = document.querySelector('[data-testid="stException"]');
    const shown = document.body && document.body.innerText.includes(marker);
    // Streamlit shows its status widget ("Running...") while the script runs.
    const running = document.querySelector('[data-testid="stStatusWidget"]');
    return failed || (shown && !running);
}"""


def _wait_until_rendered(page, marker: str, timeout_ms: float) -> None:
    """Until the sample is shown and the script finished, or an exception box appears."""
    page.wait_for_function(_RENDERED, arg=marker, timeout=timeout_ms)
    if page.locator('[data-testid="stException"]').count():
        raise RuntimeError(
            "exception on page: " + page.locator('[data-testid="stException"]').first.inner_text()
        )


def run_browser(marker: str, timeout: float) -> dict:
    import tempfile

    sys.path.insert(0, str(ROOT / "tests"))
    from app_server import CHROMIUM, LAUNCH_ARGS, running_app
    from playwright.sync_api import sync_playwright

    result: dict = {}
    started = time.perf_counter()
    try:
        with (
            tempfile.TemporaryDirectory() as tmp,
            running_app({}, Path(tmp) / "streamlit.log", timeout) as url,
            sync_playwright() as p,
        ):
            result["server_ready_seconds"] = time.perf_counter() - started
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)[:300]))
            t0 = time.perf_counter()
            page.goto(url)
            _wait_until_rendered(page, marker, timeout * 1000)
            now = time.perf_counter()
            result["first_page_seconds"] = now - t0
            result["cold_seconds"] = now - started
            t0 = time.perf_counter()
            page.reload()
            _wait_until_rendered(page, marker, timeout * 1000)
            result["warm_reload_seconds"] = time.perf_counter() - t0
            result["page_errors"] = errors
            result["exceptions_on_page"] = page.locator('[data-testid="stException"]').count()
            browser.close()
    except Exception as exc:  # noqa: BLE001 - report, don't crash the benchmark
        result["error"] = f"{type(exc).__name__}: {str(exc)[:500]}"
    return result


# --------------------------------------------------------------------------- report


def render(r: dict) -> str:
    lines = [
        f"Run {r['when']} · {r['cpus']} CPUs · load avg {r['loadavg_start'][0]:.2f} · "
        f"marker {r['marker']!r}",
        "",
        "| app start-up | seconds | notes |",
        "|---|---:|---|",
    ]
    a = r.get("apptest")
    if a and "error" not in a:
        cold = a["cold"]
        lines += [
            f"| AppTest cold: process start → sample rendered | "
            f"{a['cold_since_process_start_seconds']:.2f} | first `at.run()` "
            f"{cold['seconds']:.2f} s; {cold['elements']} elements; marker "
            f"{'found' if cold['marker_found'] else 'NOT found'}; "
            f"{len(cold['exceptions'])} exceptions |",
        ]
        for i, warm in enumerate(a["warm_reruns"], start=1):
            lines.append(
                f"| AppTest warm re-render #{i} (same session) | {warm['seconds']:.3f} | "
                f"marker {'found' if warm['marker_found'] else 'NOT found'}; "
                f"{len(warm['exceptions'])} exceptions |"
            )
        fresh = a["warm_new_session"]
        lines.append(
            f"| AppTest warm new session (hot caches) | {fresh['seconds']:.3f} | "
            f"marker {'found' if fresh['marker_found'] else 'NOT found'} |"
        )
        exceptions = cold["exceptions"] + fresh["exceptions"]
        if exceptions:
            lines += ["", "Exceptions: " + " | ".join(exceptions[:3])]
    elif a:
        lines.append(f"| AppTest | – | {a['error'][:300]} |")
    b = r.get("browser")
    if b and "error" not in b:
        lines += [
            f"| browser: server start → healthy | {b['server_ready_seconds']:.2f} | |",
            f"| browser cold: server start → sample visible | {b['cold_seconds']:.2f} | "
            f"page load → visible {b['first_page_seconds']:.2f} s |",
            f"| browser warm: reload → sample visible | {b['warm_reload_seconds']:.2f} | "
            f"{b['exceptions_on_page']} exceptions, {len(b['page_errors'])} page errors |",
        ]
    elif b:
        lines.append(f"| browser | – | {b['error'][:300]} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--marker", default="Amit Jain")
    parser.add_argument("--runs", type=int, default=3, help="AppTest runs in the cold process")
    parser.add_argument("--timeout", type=float, default=300.0, help="seconds per run")
    parser.add_argument("--browser", action="store_true", help="also measure headless Chromium")
    parser.add_argument("--no-apptest", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", type=Path, default=RESULTS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(apptest_child(args.marker, args.runs, args.timeout)))
        return 0
    if not APP.exists():
        print(f"no app at {APP}", file=sys.stderr)
        return 1
    results: dict = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpus": os.cpu_count(),
        "loadavg_start": os.getloadavg(),
        "marker": args.marker,
    }
    if not args.no_apptest:
        results["apptest"] = run_apptest(args.marker, args.runs, args.timeout)
    if args.browser:
        results["browser"] = run_browser(args.marker, args.timeout)
    table = render(results)
    print(table)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    stamp = results["when"].replace(":", "").replace("-", "")[:15]
    for name in (f"app-startup-{stamp}.json", "app-startup-latest.json"):
        (args.out_dir / name).write_text(json.dumps(results, indent=2), "utf-8")
    (args.out_dir / "app-startup-latest.md").write_text(table + "\n", "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
