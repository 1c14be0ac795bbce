"""The Dask engine gives exactly the rows of the single-process run (timings aside)."""

from __future__ import annotations

import json

import distributed  # noqa: F401 - pinned in requirements.txt: missing must fail, not skip
import pytest
from conftest import xglue_articles

from pipeline import batch

N_ARTICLES = 20


def _without_timings(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k != "timings"} for r in rows]


@pytest.fixture(scope="module")
def articles_jsonl(tmp_path_factory):
    rows = xglue_articles(N_ARTICLES)
    path = tmp_path_factory.mktemp("dask") / "articles.jsonl"
    lines = [json.dumps(r, ensure_ascii=False) for r in rows]
    lines.insert(7, json.dumps({"id": "blank", "title": "", "body": ""}))  # an error row too
    path.write_text("\n".join(lines) + "\n", "utf-8")
    return path


@pytest.fixture(scope="module")
def local_rows(articles_jsonl, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "local.jsonl"
    batch.run_batch(articles_jsonl, out, progress=False)
    return batch.read_output(out)


def test_local_cluster_of_two_worker_processes_matches_local_run(
    articles_jsonl, local_rows, tmp_path
):
    out = tmp_path / "dask.jsonl"
    summary = batch.run_batch(articles_jsonl, out, engine="dask", chunk_size=4, progress=False)

    assert (summary.analysed, summary.errors) == (N_ARTICLES, 1)
    rows = batch.read_output(out)
    assert _without_timings(rows) == _without_timings(local_rows)
    assert rows[7]["input_id"] == "blank" and rows[7]["error"]


def test_scheduler_address_is_used_and_resume_works_on_dask(articles_jsonl, local_rows, tmp_path):
    from distributed import LocalCluster

    out = tmp_path / "dask.jsonl"
    out.write_text("".join(json.dumps(r) + "\n" for r in local_rows[:5]), "utf-8")
    # An in-process worker keeps this test quick; the address path is the one remote
    # clusters take.
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster:
        summary = batch.run_batch(
            articles_jsonl,
            out,
            engine="dask",
            scheduler=cluster.scheduler_address,
            chunk_size=6,
            progress=False,
        )
    assert summary.skipped == 5
    assert _without_timings(batch.read_output(out)) == _without_timings(local_rows)
