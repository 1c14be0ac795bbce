"""Evaluates the quotes stage against hand-annotated gold: ``python -m pipeline.quotes.evaluate``.

Gold lives in tests/data/quotes_gold/ (see its README): the sample article and German news
articles from ../shared/corpora/xglue-news-de/articles.jsonl, referenced by id.

Scoring, per kind (direct, indirect): a system quote matches a gold quote of the same kind when
their character spans overlap (one-to-one, largest overlap first). Gold quotes marked
``optional`` (partial quotes of one to three words, banner text, nested reported speech) count
neither way: finding one is no true positive, missing one no false negative, and a system quote
matching one is no false positive. ``--strict`` counts them as required instead.
Speaker accuracy: of the matched gold quotes, the share whose system speaker equals the gold
speaker (or one of its ``speaker_alternatives``); None == None counts as right.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pipeline import entities as entities_stage
from pipeline.ingest import document_from_text
from pipeline.model import Quote
from pipeline.nlp import load_nlp, model_name
from pipeline.quotes import extract_quotes

ROOT = Path(__file__).resolve().parent.parent.parent
GOLD_DIR = ROOT / "tests" / "data" / "quotes_gold"
SAMPLE_PATH = ROOT / "pipeline" / "data" / "sample_article.de.txt"
CORPUS_PATH = ROOT.parent / "shared" / "corpora" / "xglue-news-de" / "articles.jsonl"
KINDS = ("direct", "indirect")
# (set name, gold file): "news" developed the extractor, "heldout" was scored blind once and
# then helped fix it, "blind" only scores it
NEWS_SETS = (
    ("news", "xglue_news.json"),
    ("heldout", "xglue_news_heldout.json"),
    ("blind", "xglue_news_blind.json"),
)


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    speaker_right: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def speaker_accuracy(self) -> float:
        return self.speaker_right / self.tp if self.tp else 0.0

    def add(self, other: Score) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.speaker_right += other.speaker_right
        self.errors += other.errors


def _same_speaker(system: str | None, gold: dict) -> bool:
    def norm(name):
        return " ".join(name.casefold().split()) if name else None

    accepted = [gold.get("speaker"), *gold.get("speaker_alternatives", [])]
    return norm(system) in {norm(a) for a in accepted}


def _overlap(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    return max(0, min(a_end, b_end) - max(a_start, b_start))


def score_article(
    doc_id: str, gold: list[dict], system: list[Quote], *, strict: bool = False
) -> dict[str, Score]:
    """Scores one article's system quotes against its gold, per kind."""
    scores = {kind: Score() for kind in KINDS}
    for kind in KINDS:
        golds = [g for g in gold if g["kind"] == kind]
        preds = [q for q in system if q.kind == kind]
        pairs = sorted(
            (
                (_overlap(g["start"], g["end"], q.start, q.end), gi, qi)
                for gi, g in enumerate(golds)
                for qi, q in enumerate(preds)
            ),
            reverse=True,
        )
        gold_used: set[int] = set()
        pred_used: set[int] = set()
        score = scores[kind]
        for overlap, gi, qi in pairs:
            if overlap <= 0 or gi in gold_used or qi in pred_used:
                continue
            gold_used.add(gi)
            pred_used.add(qi)
            g, q = golds[gi], preds[qi]
            if g.get("optional") and not strict:
                continue
            score.tp += 1
            if _same_speaker(q.speaker, g):
                score.speaker_right += 1
            else:
                score.errors.append(
                    f"{doc_id} {kind} speaker {q.speaker!r} != {g['speaker']!r}: {g['text'][:60]!r}"
                )
        for gi, g in enumerate(golds):
            if gi not in gold_used and (strict or not g.get("optional")):
                score.fn += 1
                score.errors.append(f"{doc_id} {kind} missed: {g['text'][:70]!r}")
        for qi, q in enumerate(preds):
            if qi not in pred_used:
                score.fp += 1
                score.errors.append(f"{doc_id} {kind} false: {q.text[:70]!r} ({q.speaker})")
    return scores


def _anchor(text: str, quote: dict) -> dict:
    """Gold offsets, re-anchored on the quote text if the ingested text shifted them."""
    if text[quote["start"] : quote["end"]] == quote["text"]:
        return quote
    found = text.find(quote["text"], max(0, quote["start"] - 200))
    if found < 0:
        found = text.find(quote["text"])
    if found < 0:
        raise ValueError(f"gold quote not found in text: {quote['text'][:60]!r}")
    return {**quote, "start": found, "end": found + len(quote["text"])}


def load_gold() -> list[tuple[str, str, list[dict]]]:
    """(set name, article id, …) rows: the sample first, then the news articles."""
    rows = []
    sample = json.loads((GOLD_DIR / "sample.json").read_text(encoding="utf-8"))
    text = document_from_text(SAMPLE_PATH.read_text(encoding="utf-8")).text
    rows.append(("sample", "sample", text, sample["quotes"]))
    wanted: dict[str, tuple[str, list[dict]]] = {}
    for set_name, file_name in NEWS_SETS:
        news = json.loads((GOLD_DIR / file_name).read_text(encoding="utf-8"))
        wanted |= {a["id"]: (set_name, a["quotes"]) for a in news["articles"]}
    with CORPUS_PATH.open(encoding="utf-8") as handle:
        for line in handle:
            article = json.loads(line)
            if article["id"] in wanted:
                set_name, quotes = wanted[article["id"]]
                text = document_from_text(article["title"] + "\n\n" + article["body"]).text
                rows.append((set_name, article["id"], text, quotes))
    rows.sort(key=lambda r: [s for s, _ in (("sample", ""), *NEWS_SETS)].index(r[0]))
    missing = set(wanted) - {r[1] for r in rows}
    if missing:
        raise FileNotFoundError(f"articles not in the corpus: {sorted(missing)}")
    return [(s, i, t, [_anchor(t, q) for q in qs]) for s, i, t, qs in rows]


def evaluate(*, strict: bool = False, nlp=None) -> dict[str, dict[str, Score]]:
    """Scores per set ("sample", "news", …) and kind, with load_nlp() unless nlp is given."""
    nlp = nlp or load_nlp()
    totals: dict[str, dict[str, Score]] = {}
    for set_name, doc_id, text, gold in load_gold():
        doc = nlp(text)
        found, canonical = entities_stage.extract_entities(doc)
        system = extract_quotes(doc, found, canonical)
        per_kind = score_article(doc_id, gold, system, strict=strict)
        bucket = totals.setdefault(set_name, {kind: Score() for kind in KINDS})
        for kind in KINDS:
            bucket[kind].add(per_kind[kind])
    return totals


def _report(totals: dict[str, dict[str, Score]], *, details: bool, model: str) -> str:
    lines = [f"model: {model}"]
    combined = {kind: Score() for kind in KINDS}  # every news article, errors listed per set
    for set_name, per_kind in totals.items():
        if set_name != "sample":
            for kind in KINDS:
                combined[kind].add(Score(**{**vars(per_kind[kind]), "errors": []}))
    for set_name, per_kind in [*totals.items(), ("all-news", combined)]:
        both = Score()
        for kind in KINDS:
            s = per_kind[kind]
            both.add(s)
            lines.append(
                f"{set_name:8} {kind:8} P={s.precision:.3f} R={s.recall:.3f} F1={s.f1:.3f} "
                f"(tp={s.tp} fp={s.fp} fn={s.fn})  speaker acc={s.speaker_accuracy:.3f} "
                f"({s.speaker_right}/{s.tp})"
            )
        lines.append(
            f"{set_name:8} {'all':8} speaker acc={both.speaker_accuracy:.3f} "
            f"({both.speaker_right}/{both.tp})"
        )
        if details:
            lines += ["  " + e for e in both.errors]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--details", action="store_true", help="list every error")
    parser.add_argument("--strict", action="store_true", help="count optional gold as required")
    parser.add_argument(
        "--model", help="a spaCy model directory to use instead of load_nlp()'s (e.g. a checkpoint)"
    )
    args = parser.parse_args(argv)
    nlp, model = None, model_name()
    if args.model:
        import spacy

        from pipeline.nlp import add_newslens_components

        nlp, model = add_newslens_components(spacy.load(args.model)), args.model
    totals = evaluate(strict=args.strict, nlp=nlp)
    print(_report(totals, details=args.details, model=model))
    return 0


if __name__ == "__main__":
    sys.exit(main())
