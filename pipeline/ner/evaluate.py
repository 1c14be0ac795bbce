"""Evaluate an NER model on a CoNLL / GermEval file with gold tokenisation.

    python -m pipeline.ner.evaluate FILE [--model PATH] [--format germeval|conll|conll-iob1|tsv]

Scores are exact-span P/R/F1 per label; the headline figure is micro-averaged over
PER, ORG and LOC (MISC is reported per label but excluded from the headline).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

from . import HEADLINE_LABELS, MODEL_DIR
from .corpora import normalize_tags, read_column_file

PROJECT_ROOT = Path(__file__).resolve().parents[2]


# --------------------------------------------------------------------------- pure scoring


def spans_from_tags(tags: list[str]) -> set[tuple[int, int, str]]:
    """Entity spans ``(start, end_exclusive, label)`` from IOB1, IOB2 or IO tags."""
    spans = set()
    start = None
    label = None
    for i, tag in enumerate(normalize_tags(list(tags)) + ["O"]):
        if start is not None and not (tag.startswith("I-") and tag[2:] == label):
            spans.add((start, i, label))
            start = None
        if tag.startswith("B-"):
            start, label = i, tag[2:]
    return spans


def score_sequences(gold: list[list[str]], pred: list[list[str]]) -> dict[str, Counter]:
    """Per-label true positives, false positives and false negatives over sentence pairs.

    Returns ``{label: Counter(tp=, fp=, fn=)}``."""
    counts: dict[str, Counter] = {}
    for g_tags, p_tags in zip(gold, pred, strict=True):
        g = spans_from_tags(g_tags)
        p = spans_from_tags(p_tags)
        for span in g | p:
            c = counts.setdefault(span[2], Counter(tp=0, fp=0, fn=0))
            if span in g and span in p:
                c["tp"] += 1
            elif span in p:
                c["fp"] += 1
            else:
                c["fn"] += 1
    return counts


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def summarize(counts: dict[str, Counter], headline=HEADLINE_LABELS) -> dict[str, dict]:
    """P/R/F1 per label, plus ``HEADLINE`` (micro over ``headline`` labels) and ``ALL``."""
    out = {}
    for label in sorted(counts):
        c = counts[label]
        p, r, f = prf(c["tp"], c["fp"], c["fn"])
        out[label] = {"p": p, "r": r, "f": f, **c}
    for name, labels in (("HEADLINE", headline), ("ALL", sorted(counts))):
        tot = Counter(tp=0, fp=0, fn=0)
        for label in labels:
            tot.update(counts.get(label, Counter()))
        p, r, f = prf(tot["tp"], tot["fp"], tot["fn"])
        out[name] = {"p": p, "r": r, "f": f, **tot}
    return out


def format_table(summary: dict[str, dict]) -> str:
    lines = [f"{'label':<10}{'P':>8}{'R':>8}{'F1':>8}{'tp':>7}{'fp':>7}{'fn':>7}"]
    for label, s in summary.items():
        name = "PER/ORG/LOC" if label == "HEADLINE" else label
        lines.append(
            f"{name:<10}{s['p']:>8.3f}{s['r']:>8.3f}{s['f']:>8.3f}"
            f"{s['tp']:>7}{s['fp']:>7}{s['fn']:>7}"
        )
    return "\n".join(lines)


# --------------------------------------------------------------------------- model side


def predict_tags(nlp, sentences: list[list[str]], batch_size: int = 256) -> list[list[str]]:
    """Run ``nlp`` on gold-tokenised sentences (one Doc each) and return IOB2 tags."""
    from spacy.tokens import Doc

    docs = (Doc(nlp.vocab, words=words) for words in sentences)
    out = []
    for doc in nlp.pipe(docs, batch_size=batch_size):
        out.append(["O" if not t.ent_type_ else f"{t.ent_iob_}-{t.ent_type_}" for t in doc])
    return out


def evaluate_file(path, model=None, fmt: str | None = None, nlp=None) -> dict[str, dict]:
    import spacy

    sents = read_column_file(Path(path), fmt)
    if nlp is None:
        nlp = spacy.load(model or PROJECT_ROOT / MODEL_DIR)
    pred = predict_tags(nlp, [s.tokens for s in sents])
    return summarize(score_sequences([s.tags for s in sents], pred))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("file")
    ap.add_argument("--model", default=None, help=f"model dir (default: {MODEL_DIR})")
    ap.add_argument(
        "--format",
        default=None,
        choices=["germeval", "conll", "conll-iob1", "tsv"],
        help="file format (default: auto-detect)",
    )
    args = ap.parse_args(argv)
    t0 = time.time()
    summary = evaluate_file(args.file, args.model, args.format)
    print(f"# {args.file}  ({time.time() - t0:.1f}s)")
    print(format_table(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
