"""A Hugging Face ``datasets.Dataset`` (the real package, built in memory: nothing is fetched):
scanned through its Arrow table, also after a shuffle and a select (rows mapped through an
index), and filtered with ``duplicate_mask()`` to exactly the rows the command's dedup keeps.

Run by .ci/run after the wheel is installed in its venv; the binary compared against is
$PARADUP, else target/ci/paradup.
"""

import json
import os
import subprocess
from pathlib import Path

import datasets

import paradup
from test_python_api import corpus, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("PARADUP", ROOT / "target" / "ci" / "paradup")).resolve()


def test_dataset_filter_keeps_the_rows_dedup_keeps(tmp_path):
    docs = corpus(documents=240, seed=21)
    for i in range(0, 90, 3):
        docs.append({"id": f"copy-{i}", "text": docs[i]["text"]})
    write_jsonl(tmp_path / "c.jsonl", docs)
    out = subprocess.run(
        [str(BINARY), "dedup", str(tmp_path / "c.jsonl"), "-o", str(tmp_path / "out.jsonl"),
         "--drop-duplicate-documents", "--quiet"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    kept_by_dedup = [json.loads(line)["id"] for line in (tmp_path / "out.jsonl").read_text().splitlines()]

    ds = datasets.Dataset.from_list(docs)
    report = paradup.scan(ds)
    mask = report.duplicate_mask()
    assert len(mask) == ds.num_rows
    filtered = ds.filter(lambda _row, index: not mask[index], with_indices=True)
    assert filtered["id"] == kept_by_dedup
    assert filtered.num_rows < ds.num_rows - 25
    assert report.summary == paradup.scan(docs).summary


def test_a_shuffled_selection_is_scanned_in_its_own_row_order():
    docs = corpus(documents=200, seed=22)
    ds = datasets.Dataset.from_list(docs).shuffle(seed=3).select(range(150))
    # The dataset's rows are an index into its table: the scan sees the rows as the dataset
    # shows them, so the mask lines up with them.
    rows = [{"id": row["id"], "text": row["text"]} for row in ds]
    mask = paradup.scan(ds).duplicate_mask()
    assert mask == paradup.scan(rows).duplicate_mask()
    assert any(mask)
    ids = [cluster.members[0].doc for cluster in paradup.scan(ds).clusters]
    assert ids == [cluster.members[0].doc for cluster in paradup.scan(rows).clusters]
