"""Train, package and evaluate the NewsLens German NER model in one command.

    python -m pipeline.ner.train                 # full run with the shipped settings

Steps: (1) convert the training corpora from ``../shared/corpora`` into DocBins under
``build/ner/`` (a held-out 3% of the training documents is used for model selection; the
yardsticks GermEval 2014 dev and CoNLL-2003 testa are never trained on or selected on),
(2) build static word vectors (PPMI + SVD over the unlabeled training text and the XGLUE
news articles; numpy only, deterministic), (3) ``spacy train`` with ``config.cfg`` and a
fixed seed, (4) package ``model-best`` to ``models/de_newslens_ner/``, (5) evaluate on both
yardsticks and measure speed.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

from . import MODEL_DIR  # noqa: E402
from . import corpora as C  # noqa: E402

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).resolve().parent / "config.cfg"
DEFAULT_SOURCES = ("conll", "germeval_test", "europarl", "mobie", "legal", "smartdata")
# unlabeled-text sources for the static vectors (never the yardsticks, never the silver sets)
VECTOR_TEXT_SOURCES = ("conll", "germeval_test", "europarl", "mobie", "legal", "smartdata")
YARDSTICKS = {
    "germeval_dev": ("germeval2014/NER-de-dev.tsv", "germeval"),
    "conll_testa": ("conll2003-de-train/testa.txt", "conll"),
}


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# --------------------------------------------------------------------------- data


def convert(sources, build: Path, seed: int, max_sents: int, holdout: float = 0.03) -> dict:
    import spacy

    nlp = spacy.blank("de")
    train, dev = [], []
    stats = {}
    for spec in sources:
        # "name*k" repeats the (training part of the) source k times: upweighting
        name, _, times = spec.partition("*")
        sents = C.load_source(name)
        tr, dv = C.split_holdout(sents, holdout, seed)
        train += tr * int(times or 1)
        dev += dv
        stats[spec] = {
            "sentences": len(sents),
            "tokens": sum(len(s.tokens) for s in sents),
            "entities": C.count_entities(sents),
        }
        log(f"  {spec}: {stats[spec]}")
    n_train = C.write_docbin(train, build / "train.spacy", nlp.vocab, max_sents)
    n_dev = C.write_docbin(dev, build / "dev.spacy", nlp.vocab, max_sents)
    log(f"  train docs {n_train} ({len(train)} sentences), dev docs {n_dev} ({len(dev)} sentences)")
    return stats


# --------------------------------------------------------------------------- vectors


def vector_texts():
    """Token sequences for the vectors: training corpora + XGLUE news (spaCy tokenizer)."""
    import spacy

    for name in VECTOR_TEXT_SOURCES:
        for s in C.load_source(name):
            yield s.tokens
    nlp = spacy.blank("de")
    with open(C.CORPORA_DIR / "xglue-news-de" / "articles.jsonl", encoding="utf-8") as fh:
        for line in fh:
            art = json.loads(line)
            for part in (art.get("title") or "", art.get("body") or ""):
                for para in part.split("\n"):
                    if para.strip():
                        yield [t.text for t in nlp.make_doc(para) if not t.is_space]


def build_vectors(
    out_dir: Path,
    dim: int = 100,
    n_words: int = 40000,
    n_ctx: int = 10000,
    window: int = 4,
    seed: int = 0,
) -> Path:
    """Static word vectors by PPMI + truncated SVD (Levy & Goldberg style), numpy only.

    Rows: the ``n_words`` most frequent (cased) tokens with count >= 2; contexts: the
    ``n_ctx`` most frequent lower-cased tokens, +-``window`` tokens, 1/distance weighting,
    context distribution smoothing 0.75; vectors U * sqrt(S), L2-normalised."""
    import numpy as np
    import spacy
    from spacy.vectors import Vectors

    seqs = list(vector_texts())
    wc = Counter(t for s in seqs for t in s)
    cc = Counter(t.lower() for s in seqs for t in s)
    words = [w for w, c in sorted(wc.items(), key=lambda x: (-x[1], x[0])) if c >= 2][:n_words]
    ctxs = [w for w, _ in sorted(cc.items(), key=lambda x: (-x[1], x[0]))][:n_ctx]
    wi = {w: i for i, w in enumerate(words)}
    ci = {w: i for i, w in enumerate(ctxs)}
    rows, cols, vals = [], [], []
    for s in seqs:
        w_ids = [wi.get(t, -1) for t in s]
        c_ids = [ci.get(t.lower(), -1) for t in s]
        n = len(s)
        for i, w in enumerate(w_ids):
            if w < 0:
                continue
            for d in range(1, window + 1):
                for j in (i - d, i + d):
                    if 0 <= j < n and c_ids[j] >= 0:
                        rows.append(w)
                        cols.append(c_ids[j])
                        vals.append(1.0 / d)
    log(f"  vectors: {len(seqs)} sequences, {sum(map(len, seqs))} tokens, {len(rows)} pairs")
    M = np.zeros((len(words), len(ctxs)), dtype=np.float32)
    np.add.at(M, (np.asarray(rows), np.asarray(cols)), np.asarray(vals, dtype=np.float32))
    total = M.sum()
    pw = M.sum(axis=1, keepdims=True) / total
    pc = M.sum(axis=0, keepdims=True) ** 0.75
    pc /= pc.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        pmi = np.log(M / total / (pw * pc))
    pmi[~np.isfinite(pmi)] = 0.0
    np.maximum(pmi, 0.0, out=pmi)
    del M
    # randomized truncated SVD (Halko et al.), fixed seed -> deterministic
    rng = np.random.default_rng(seed)
    k = dim + 20
    Q = pmi @ rng.standard_normal((pmi.shape[1], k)).astype(np.float32)
    for _ in range(3):
        Q, _r = np.linalg.qr(Q)
        Q = pmi @ (pmi.T @ Q)
    Q, _r = np.linalg.qr(Q)
    B = Q.T @ pmi
    Ub, S, _vt = np.linalg.svd(B, full_matrices=False)
    U = (Q @ Ub)[:, :dim] * np.sqrt(S[:dim])
    U /= np.linalg.norm(U, axis=1, keepdims=True) + 1e-8
    nlp = spacy.blank("de")
    nlp.vocab.vectors = Vectors(
        strings=nlp.vocab.strings,
        data=U.astype(np.float32),
        keys=[nlp.vocab.strings.add(w) for w in words],
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out_dir)
    log(f"  vectors: {U.shape} -> {out_dir}")
    return out_dir


# --------------------------------------------------------------------------- packaging / eval


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def package(best: Path, out: Path, sources, vectors: bool, prune_vectors: int = 0) -> None:
    import spacy

    nlp = spacy.load(best)
    if prune_vectors and nlp.vocab.vectors.shape[0] > prune_vectors:
        # keep the most frequent rows; every pruned word is mapped to its nearest kept vector
        nlp.vocab.prune_vectors(prune_vectors)
    nlp.meta.update(
        {
            "name": "newslens_ner",
            "version": "0.1.0",
            "description": "NewsLens German NER (PER, ORG, LOC, MISC): spaCy tok2vec + ner "
            "trained on "
            + ", ".join(sources)
            + (" with PPMI-SVD static vectors" if vectors else ""),
            "author": "NewsLens",
            "license": "see MODEL_CARD.md (trained on CC BY 4.0 and research-only corpora)",
        }
    )
    card = out / "MODEL_CARD.md"
    card_text = card.read_text(encoding="utf-8") if card.exists() else None
    if out.exists():
        shutil.rmtree(out)
    nlp.to_disk(out)
    if card_text is not None:
        card.write_text(card_text, encoding="utf-8")


def measure_speed(nlp, n_articles: int = 500, repeats: int = 2) -> float:
    texts = []
    with open(C.CORPORA_DIR / "xglue-news-de" / "articles.jsonl", encoding="utf-8") as fh:
        for line in fh:
            art = json.loads(line)
            texts.append(f"{art.get('title') or ''}\n\n{art.get('body') or ''}")
    texts = texts[:n_articles]
    list(nlp.pipe(texts[:20]))  # warm-up
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        words = sum(len(doc) for doc in nlp.pipe(texts, batch_size=64))
        best = max(best, words / (time.perf_counter() - t0))
    return best


def evaluate_all(model: Path) -> dict:
    import spacy

    from .evaluate import evaluate_file, format_table

    nlp = spacy.load(model)
    results = {}
    for name, (rel, fmt) in YARDSTICKS.items():
        summ = evaluate_file(C.CORPORA_DIR / rel, fmt=fmt, nlp=nlp)
        results[name] = summ
        print(f"\n== {name} ({rel})\n{format_table(summ)}", flush=True)
    results["words_per_second"] = measure_speed(nlp)
    results["size_bytes"] = dir_size(Path(model))
    print(
        f"\nspeed: {results['words_per_second']:.0f} tokens/s (nlp.pipe, 1 process, XGLUE articles)"
    )
    print(f"size: {results['size_bytes'] / 1e6:.1f} MB ({model})", flush=True)
    return results


# --------------------------------------------------------------------------- main


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--sources",
        default=",".join(DEFAULT_SOURCES),
        help="comma-separated training sources (see corpora.load_source)",
    )
    ap.add_argument("--build-dir", default=str(PROJECT_ROOT / "build" / "ner"))
    ap.add_argument("--config", default=str(CONFIG))
    ap.add_argument("--output", default=str(PROJECT_ROOT / MODEL_DIR), help="packaged model dir")
    ap.add_argument(
        "--vectors", default="build", help="'build' (PPMI-SVD), 'none', or a spaCy model dir"
    )
    ap.add_argument(
        "--prune-vectors",
        type=int,
        default=8000,
        help="rows of static vectors kept in the packaged model (size limit 40 MB)",
    )
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--max-sents", type=int, default=4, help="max sentences per training Doc")
    ap.add_argument("--skip-convert", action="store_true", help="reuse DocBins in the build dir")
    ap.add_argument("--no-package", action="store_true", help="train and evaluate model-best only")
    ap.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra spaCy config override, e.g. training.max_steps=20000",
    )
    args = ap.parse_args(argv)

    t_start = time.time()
    build = Path(args.build_dir)
    build.mkdir(parents=True, exist_ok=True)
    sources = [s for s in args.sources.split(",") if s]

    if not args.skip_convert or not (build / "train.spacy").exists():
        log(f"converting {sources} -> {build}")
        stats = convert(sources, build, args.seed, args.max_sents)
        (build / "data_stats.json").write_text(json.dumps(stats, indent=1), encoding="utf-8")

    overrides = {
        "paths.train": str(build / "train.spacy"),
        "paths.dev": str(build / "dev.spacy"),
        "system.seed": args.seed,
    }
    use_vectors = args.vectors != "none"
    if use_vectors:
        vec_dir = build / "vectors" if args.vectors == "build" else Path(args.vectors)
        if args.vectors == "build" and not (vec_dir / "vocab" / "vectors").exists():
            log("building static vectors")
            build_vectors(vec_dir)
        overrides["paths.vectors"] = str(vec_dir)
        overrides["components.tok2vec.model.embed.include_static_vectors"] = True
    for kv in args.set:
        key, value = kv.split("=", 1)
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value

    from spacy.cli.train import train as spacy_train

    out_train = build / "training"
    log(f"training with {args.config}, overrides {overrides}")
    t0 = time.time()
    spacy_train(Path(args.config), out_train, overrides=overrides)
    train_minutes = (time.time() - t0) / 60
    log(f"training took {train_minutes:.1f} min")

    model = out_train / "model-best"
    if not args.no_package:
        package(model, Path(args.output), sources, use_vectors, args.prune_vectors)
        model = Path(args.output)
        log(f"packaged -> {model}")
    results = evaluate_all(model)
    results.update(
        {
            "sources": sources,
            "overrides": {k: str(v) for k, v in overrides.items()},
            "train_minutes": train_minutes,
            "total_minutes": (time.time() - t_start) / 60,
        }
    )
    (build / "results.json").write_text(
        json.dumps(results, indent=1, default=str), encoding="utf-8"
    )
    log(f"done in {results['total_minutes']:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
