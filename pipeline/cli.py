"""Command line: ``python -m pipeline analyze PATH... [--format json|jsonl|md|csv]``.

Unreadable input gets a one-line message on stderr and a non-zero exit code; the other
files of the same call are still analysed. ``batch`` (pipeline/batch.py) runs a corpus.
"""

from __future__ import annotations

import argparse
import json
import sys

from pipeline.ingest import IngestError, document_from_text, read_path

FORMATS = ("json", "jsonl", "md", "csv")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m pipeline", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    analyze = commands.add_parser("analyze", help="analyse articles and print the result")
    analyze.add_argument("paths", nargs="+", metavar="PATH", help="article files; - reads stdin")
    analyze.add_argument("--format", choices=FORMATS, default="json")
    from pipeline.translate import provider_names  # the providers are data, not code

    providers = provider_names()
    analyze.add_argument(
        "--translate",
        choices=providers,
        metavar="PROVIDER",
        help=f"add an English translation ({', '.join(providers)})",
    )
    analyze.add_argument(
        "--translate-url",
        metavar="URL",
        help="server URL for --translate libre (self-hosted LibreTranslate)",
    )
    analyze.add_argument("--translate-timeout", type=float, default=15.0, metavar="SECONDS")
    analyze.set_defaults(func=run_analyze)

    try:
        from pipeline import batch
    except ImportError:  # the batch engine is optional for the analyze command
        batch = None
    if batch is not None and hasattr(batch, "register_cli"):
        batch.register_cli(commands)
    return parser


def _translation_settings(args):
    if not args.translate:
        return None
    from pipeline.translate import TranslationSettings

    return TranslationSettings(
        provider=args.translate, url=args.translate_url, timeout=args.translate_timeout
    )


def _read(path: str):
    if path == "-":
        return document_from_text(sys.stdin.read(), source="stdin")
    return read_path(path)


def run_analyze(args) -> int:
    from pipeline import analyze

    settings = _translation_settings(args)
    failures = 0
    analyses = []
    one_object = args.format == "json" and len(args.paths) == 1
    for path in args.paths:
        try:
            document = _read(path)
        except IngestError as err:
            print(f"error: {err}", file=sys.stderr)
            failures += 1
            continue
        for notice in document.notices:
            print(f"notice: {document.source}: {notice}", file=sys.stderr)
        try:
            analysis = analyze(document, translate=settings)
        except Exception as err:  # one article's failure must not cost the others
            print(
                f"error: {document.source}: analysis failed ({type(err).__name__}: {err})",
                file=sys.stderr,
            )
            failures += 1
            continue
        if analysis.translation and analysis.translation.error:
            print(f"notice: {document.source}: {analysis.translation.error}", file=sys.stderr)
        if args.format in ("json", "jsonl"):
            indent = 2 if one_object else None
            print(json.dumps(analysis.to_dict(), ensure_ascii=False, indent=indent), flush=True)
        else:
            analyses.append(analysis)
    if args.format == "md":
        from pipeline.export import markdown_report

        print("\n\n---\n\n".join(markdown_report(a) for a in analyses))
    elif args.format == "csv" and analyses:
        print(_mentions_csv(analyses), end="")
    return 1 if failures else 0


def _mentions_csv(analyses) -> str:
    """Every entity mention of every article, one CSV table with a ``source`` column."""
    import pandas as pd

    from pipeline.export import frame_csv
    from pipeline.tables import mentions_frame

    frames = [mentions_frame(a).assign(source=a.document.source) for a in analyses]
    return frame_csv(pd.concat(frames, ignore_index=True))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
