"""Readers for the German NER corpora in ``../shared/corpora`` (read-only, never copied).

Every reader returns a list of sentences ``(tokens, tags)`` in one unified scheme:
IOB2 tags over the labels PER, ORG, LOC, MISC. Sentences carry a document key so
that consecutive sentences of one document can be packed into one spaCy ``Doc``.

Mapping decisions (see MODEL_CARD.md):
- GermEval 2014: outer column only; OTH -> MISC; ``*deriv`` (e.g. "deutsche") and
  ``*part`` (e.g. "EU-weit") -> O: they are not entity mentions for NewsLens.
- Legal (LER): PER, RR, AN -> PER; LD, ST, STR, LDS -> LOC; ORG, UN, INN, GRT, MRK -> ORG;
  legal references (GS, VO, EUN, VS, VT, RS, LIT) -> O.
- SmartData / MobIE: person -> PER; organization* -> ORG; location, location-city,
  location-street, location-stop -> LOC; location-route and everything else -> O.
- Europarl uses IO tags (I- only), CoNLL testa IOB1; both are normalised to IOB2
  (adjacent same-type entities in IO data cannot be separated).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import zipfile
from dataclasses import dataclass
from pathlib import Path

CORPORA_DIR = Path(
    os.environ.get(
        "NEWSLENS_CORPORA", Path(__file__).resolve().parents[2].parent / "shared" / "corpora"
    )
)

Sentence = tuple[list[str], list[str]]


@dataclass
class Sent:
    tokens: list[str]
    tags: list[str]
    doc_key: str = ""


# --------------------------------------------------------------------------- tags


def normalize_tags(tags: list[str]) -> list[str]:
    """Turn IOB1, IOB2 or IO tags into IOB2 (``B-`` starts every entity).

    ``I-X`` after ``O`` or after a different type starts a new entity (IOB1/IO);
    ``B-X`` always starts one (valid in IOB1 and IOB2).
    """
    out: list[str] = []
    prev = "O"
    for tag in tags:
        if tag == "O" or "-" not in tag:
            out.append("O")
            prev = "O"
            continue
        prefix, label = tag.split("-", 1)
        starts = prefix == "B" or prev == "O" or prev[2:] != label
        new = ("B-" if starts else "I-") + label
        out.append(new)
        prev = new
    return out


def map_labels(tags: list[str], mapping: dict[str, str | None]) -> list[str]:
    """Map the label part of IOB tags with ``mapping`` (missing / None -> O), then normalise."""
    mapped = []
    for tag in tags:
        if tag == "O" or "-" not in tag:
            mapped.append("O")
            continue
        prefix, label = tag.split("-", 1)
        new = mapping.get(label)
        mapped.append(f"{prefix}-{new}" if new else "O")
    return normalize_tags(mapped)


def has_entity(sent: Sent, labels=("PER", "ORG", "LOC")) -> bool:
    return any(t != "O" and t[2:] in labels for t in sent.tags)


# --------------------------------------------------------------------------- generic column reader


def read_columns(
    lines, token_col: int, tag_col: int, sep: str | None = None, doc_prefix: str = ""
) -> list[Sent]:
    """Read a CoNLL-like column file. Blank lines end sentences, ``-DOCSTART-``
    lines start documents, ``#`` lines (GermEval comments) start documents too."""
    sents: list[Sent] = []
    toks: list[str] = []
    tags: list[str] = []
    doc = 0

    def flush():
        nonlocal toks, tags
        if toks:
            sents.append(Sent(toks, tags, f"{doc_prefix}{doc}"))
        toks, tags = [], []

    for raw in lines:
        line = raw.rstrip("\n").rstrip("\r")
        if not line.strip():
            flush()
            continue
        if line.startswith("#\t") or line.startswith("# "):
            flush()
            doc += 1
            continue
        if "-DOCSTART-" in line.split()[:2]:
            flush()
            doc += 1
            continue
        cols = line.split(sep) if sep else line.split()
        toks.append(cols[token_col])
        tags.append(cols[tag_col] if len(cols) > tag_col else "O")
    flush()
    return sents


def _open_lines(path: Path):
    with open(path, encoding="utf-8") as fh:
        return fh.readlines()


# --------------------------------------------------------------------------- per corpus

STD = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "MISC": "MISC"}
GERMEVAL = {"PER": "PER", "ORG": "ORG", "LOC": "LOC", "OTH": "MISC"}  # deriv/part -> O
LEGAL = {
    "PER": "PER",
    "RR": "PER",
    "AN": "PER",
    "LD": "LOC",
    "ST": "LOC",
    "STR": "LOC",
    "LDS": "LOC",
    "ORG": "ORG",
    "UN": "ORG",
    "INN": "ORG",
    "GRT": "ORG",
    "MRK": "ORG",
}
FINE_GEO = {
    "person": "PER",
    "organization": "ORG",
    "organization-company": "ORG",
    "location": "LOC",
    "location-city": "LOC",
    "location-street": "LOC",
    "location-stop": "LOC",
}


def _finish(sents: list[Sent], mapping) -> list[Sent]:
    for s in sents:
        s.tags = map_labels(s.tags, mapping)
    return sents


def read_germeval(path: Path) -> list[Sent]:
    """GermEval 2014 TSV: index, token, outer tag, nested tag."""
    return _finish(read_columns(_open_lines(path), 1, 2, "\t", "ge"), GERMEVAL)


def read_conll_train(path: Path) -> list[Sent]:
    """German CoNLL-2003 train as shipped here: index<TAB>token<TAB>IOB2."""
    return _finish(read_columns(_open_lines(path), 1, 2, "\t", "co"), STD)


def read_conll2003(path: Path) -> list[Sent]:
    """Original CoNLL-2003 (German): token lemma POS chunk NE, space separated, IOB1."""
    return _finish(read_columns(_open_lines(path), 0, -1, None, "co"), STD)


def read_europarl(path: Path) -> list[Sent]:
    """Europarl NER: token, lemma, POS, chunk, NE (IO tags), tab separated."""
    return _finish(read_columns(_open_lines(path), 0, 4, "\t", f"ep{path.stem}"), STD)


def read_legal(path: Path) -> list[Sent]:
    """LER: token<SPACE>fine IOB2 tag."""
    return _finish(read_columns(_open_lines(path), 0, 1, " ", f"le{path.stem}"), LEGAL)


def read_mobie(zip_path: Path, splits=("train", "dev", "test")) -> list[Sent]:
    sents: list[Sent] = []
    with zipfile.ZipFile(zip_path) as zf:
        for split in splits:
            with zf.open(f"{split}.conll2003") as fh:
                lines = io.TextIOWrapper(fh, encoding="utf-8").readlines()
            sents += read_columns(lines, 0, 3, "\t", f"mo{split}")
    return _finish(sents, FINE_GEO)


def read_silver(path: Path) -> list[Sent]:
    """WikiANN / WikiNEuRal: index<TAB>token<TAB>IOB2."""
    return _finish(read_columns(_open_lines(path), 1, 2, "\t", f"si{path.stem}"), STD)


def read_column_file(path: Path, fmt: str | None = None) -> list[Sent]:
    """Read an evaluation file in one of the supported formats (auto-detected if ``fmt`` is None):
    ``germeval`` (index, token, outer, nested), ``conll`` / ``conll-iob1`` (token ... NE, spaces),
    ``tsv`` (index<TAB>token<TAB>tag or token<TAB>tag)."""
    lines = _open_lines(Path(path))
    if fmt is None:
        fmt = detect_format(lines)
    if fmt == "germeval":
        return _finish(read_columns(lines, 1, 2, "\t"), GERMEVAL)
    if fmt in ("conll", "conll-iob1", "iob1"):
        return _finish(read_columns(lines, 0, -1, None), STD)
    if fmt == "tsv":
        sample = next(ln for ln in lines if ln.strip() and not ln.startswith("#"))
        cols = sample.rstrip("\n").split("\t")
        tok = 1 if len(cols) >= 3 and cols[0].isdigit() else 0
        return _finish(read_columns(lines, tok, -1, "\t"), STD)
    raise ValueError(f"unknown format {fmt!r}")


def detect_format(lines) -> str:
    body = [ln.rstrip("\n") for ln in lines[:200] if ln.strip()]
    if any(ln.startswith("#\t") for ln in body):
        return "germeval"
    rows = [ln for ln in body if "DOCSTART" not in ln and not ln.startswith("#")]
    if rows and all("\t" in ln for ln in rows):
        cols = rows[0].split("\t")
        if len(cols) == 4 and cols[0].isdigit():
            return "germeval"
        return "tsv"
    return "conll"


# --------------------------------------------------------------------------- SmartData (char offsets)

SMARTDATA_MAP = {
    "person": "PER",
    "organization": "ORG",
    "organization-company": "ORG",
    "location": "LOC",
    "location-city": "LOC",
    "location-street": "LOC",
    "location-stop": "LOC",
}


def _iter_avro_json(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        text = fh.read()
    dec = json.JSONDecoder()
    i = 0
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text):
            return
        obj, i = dec.raw_decode(text, i)
        yield obj


def read_smartdata_v1(corpus_dir: Path, nlp=None) -> list[Sent]:
    """SmartData v1 (train + test), minus every document that is in v3 dev/test.
    Texts are tokenised and sentence-split with spaCy's blank German pipeline;
    character-offset mentions are aligned with ``char_span(alignment_mode="expand")``."""
    import spacy
    from spacy.util import filter_spans

    if nlp is None:
        nlp = spacy.blank("de")
        nlp.add_pipe("sentencizer")
    held_out = set()
    for name in ("v3_20200302_dev.json.gz", "v3_20200302_test.json.gz"):
        held_out |= {d["id"] for d in _iter_avro_json(corpus_dir / name)}
    sents: list[Sent] = []
    for name in ("v1_20180119_train.json.gz", "v1_20180119_test.json.gz"):
        for d in _iter_avro_json(corpus_dir / name):
            if d["id"] in held_out:
                continue
            text = d["text"]["string"]
            doc = nlp(text)
            spans = []
            for cm in (d.get("conceptMentions") or {}).get("array", []):
                label = SMARTDATA_MAP.get(cm["type"])
                if not label:
                    continue
                sp = doc.char_span(
                    cm["span"]["start"], cm["span"]["end"], label=label, alignment_mode="expand"
                )
                if sp is not None and sp.text.strip():
                    spans.append(sp)
            doc.ents = filter_spans(spans)
            key = "sd" + d["id"]
            for s in doc.sents:
                toks, tags = [], []
                for t in s:
                    if t.is_space:
                        continue
                    toks.append(t.text)
                    tags.append("O" if not t.ent_type_ else f"{t.ent_iob_}-{t.ent_type_}")
                if toks:
                    sents.append(Sent(toks, normalize_tags(tags), key))
    return sents


# --------------------------------------------------------------------------- mixes


def load_source(name: str, root: Path = CORPORA_DIR) -> list[Sent]:
    """Training sources by name. Never includes the yardsticks (GermEval dev, CoNLL testa)."""
    if name == "conll":
        return read_conll_train(root / "conll2003-de-train" / "train.tsv")
    if name == "germeval_test":
        return read_germeval(root / "germeval2014" / "NER-de-test.tsv")
    if name == "europarl":
        return sum(
            (read_europarl(root / "europarl-ner" / f"{s}.tsv") for s in ("train", "dev", "test")),
            [],
        )
    if name == "mobie":
        return read_mobie(root / "mobie" / "ner_conll03_formatted.zip")
    if name == "legal":
        # about 3/4 of LER entities are legal references (-> O): keep sentences with a
        # PER/ORG/LOC mention only, so the court domain does not swamp the mix.
        sents = sum(
            (read_legal(root / "legal_ler" / f) for f in ("ler_dev.conll", "ler_test.conll")), []
        )
        return [s for s in sents if has_entity(s)]
    if name == "smartdata":
        return read_smartdata_v1(root / "smartdata")
    if name == "wikiann":
        return sum(
            (read_silver(root / "wikiann_de" / f"{s}.conllu") for s in ("train", "val", "test")), []
        )
    if name == "wikineural":
        return sum(
            (read_silver(root / "wikineural_de" / f"{s}.conllu") for s in ("val", "test")), []
        )
    raise ValueError(f"unknown source {name!r}")


def pack_docs(sents: list[Sent], max_sents: int = 4) -> list[list[Sent]]:
    """Group consecutive sentences of one document into chunks of 1..max_sents sentences
    (the size cycles deterministically, so single sentences and short passages both occur)."""
    groups: list[list[Sent]] = []
    cur: list[Sent] = []
    size_cycle = 1
    for s in sents:
        if cur and (s.doc_key != cur[-1].doc_key or len(cur) >= size_cycle):
            groups.append(cur)
            cur = []
            size_cycle = size_cycle % max_sents + 1
        cur.append(s)
    if cur:
        groups.append(cur)
    return groups


def to_doc(vocab, group: list[Sent]):
    from spacy.tokens import Doc

    words: list[str] = []
    tags: list[str] = []
    for s in group:
        words += s.tokens
        tags += s.tags
    # spaces between all tokens: the text is re-tokenised by spaCy's tokenizer in training
    return Doc(vocab, words=words, ents=tags)


def write_docbin(sents: list[Sent], path: Path, vocab, max_sents: int = 4) -> int:
    from spacy.tokens import DocBin

    db = DocBin(store_user_data=False)
    n = 0
    for group in pack_docs(sents, max_sents):
        db.add(to_doc(vocab, group))
        n += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    db.to_disk(path)
    return n


def split_holdout(
    sents: list[Sent], frac: float, seed: int, block: int = 25
) -> tuple[list[Sent], list[Sent]]:
    """Hold out whole documents for model selection during training. Documents are cut into
    blocks of ``block`` sentences, so corpora without document markers (one "document" per
    file) are split evenly too."""
    keyed = []
    pos: dict[str, int] = {}
    for s in sents:
        i = pos.get(s.doc_key, 0)
        pos[s.doc_key] = i + 1
        keyed.append((f"{s.doc_key}#{i // block}", s))
    keys = sorted({k for k, _ in keyed})
    rng = random.Random(seed)
    rng.shuffle(keys)
    held = set(keys[: max(1, int(len(keys) * frac))])
    return [s for k, s in keyed if k not in held], [s for k, s in keyed if k in held]


def count_entities(sents: list[Sent]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for s in sents:
        for t in s.tags:
            if t.startswith("B-"):
                counts[t[2:]] = counts.get(t[2:], 0) + 1
    return counts
