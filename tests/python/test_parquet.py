"""Parquet as the tools around paradup see it: pyarrow reads its tables, and the DuckDB and
Polars queries of the README ("Members table (Parquet)") run on a scan's members table and agree
with the JSON report.

Run by .ci/run after the cargo tests, in a venv with pyarrow, duckdb, polars and pytest. The
binary is $PARADUP, else target/ci/paradup or target/debug/paradup; a missing binary or module
fails the run, nothing is skipped.
"""

import json
import os
import re
import subprocess
from pathlib import Path

import duckdb
import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

SHARED = (
    "The committee meets every second Tuesday of the month in the town hall "
    "and welcomes every resident who wishes to speak."
)
FOOTER = (
    "Subscribe to our newsletter to receive the latest stories from the valley "
    "every morning before breakfast, free of charge."
)


# Resolved now: the tests change the working folder.
GIVEN = Path(os.environ["PARADUP"]).resolve() if os.environ.get("PARADUP") else None


def binary() -> str:
    candidates = [GIVEN] if GIVEN else [
        ROOT / "target" / "ci" / "paradup",
        ROOT / "target" / "debug" / "paradup",
    ]
    for path in candidates:
        if path.is_file():
            return str(path.resolve())
    raise AssertionError(f"no paradup binary at {candidates}; build it first")


def corpus():
    """Forty documents from three sources: a shared passage, a footer, and text of their own."""
    rows = []
    for i in range(40):
        source = ["valley.example", "harbour.example", "plain.example"][i % 3]
        own = (
            f"Story {i} tells of river{i}, lantern{i} and orchard{i} in words "
            f"that no other story of the collection uses at all {i}."
        )
        parts = [own]
        if source != "plain.example" and i % 2 == 0:
            parts.append(SHARED)
        if source == "valley.example":
            parts.append(FOOTER)
        rows.append({"id": f"doc-{i:03}", "source": source, "text": "\n\n".join(parts)})
    return rows


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    """Two shards of the corpus under data/, scanned with a members table and a JSON report."""
    work = tmp_path_factory.mktemp("parquet")
    (work / "data").mkdir()
    rows = corpus()
    for shard, part in enumerate([rows[:25], rows[25:]]):
        table = pa.Table.from_pylist(part)
        pq.write_table(
            table,
            work / "data" / f"train-{shard:05}-of-00002.parquet",
            compression="zstd",
            row_group_size=10,
        )
    run = subprocess.run(
        [binary(), "scan", "data", "--source-field", "source",
         "--members", "members.parquet", "--json", "report.json", "--quiet"],
        cwd=work, capture_output=True, text=True,
    )
    assert run.returncode == 0, run.stderr
    report = json.loads((work / "report.json").read_text())
    return work, report


def readme_blocks(language):
    """The fenced blocks of one language in the README's members-table section."""
    text = README.read_text()
    section = text.split("## Members table (Parquet)", 1)[1].split("\n## ", 1)[0]
    return re.findall(rf"```{language}\n(.*?)```", section, re.S)


def test_pyarrow_reads_the_members_table_with_every_copy(scanned):
    work, report = scanned
    table = pq.read_table(work / "members.parquet")
    assert table.column_names == [
        "cluster", "kind", "cluster_size", "cluster_documents", "doc", "doc_index", "source",
        "location", "paragraph", "start", "end", "similarity", "containment", "contained",
        "via_chain", "is_canonical",
    ]
    members = [(c["id"], m["doc"], m["location"], m["start"], m["end"])
               for c in report["clusters"] for m in c["members"]]
    assert len(members) > 20
    got = list(zip(*(table.column(n).to_pylist()
                     for n in ["cluster", "doc", "location", "start", "end"])))
    assert got == members
    # Rows are located PATH:ROW, 0-based within their shard, as pyarrow numbers them.
    shard = pq.read_table(work / "data" / "train-00001-of-00002.parquet")
    for doc, location in zip(table.column("doc").to_pylist(), table.column("location").to_pylist()):
        path, row = location.rsplit(":", 1)
        if path.endswith("train-00001-of-00002.parquet"):
            assert shard.column("id")[int(row)].as_py() == doc


def test_readme_duckdb_queries_agree_with_the_json_report(scanned):
    work, report = scanned
    ranking_sql, per_source_sql, join_sql = readme_blocks("sql")
    con = duckdb.connect()
    os.chdir(work)

    ranking = con.execute(ranking_sql).fetchall()
    by_id = {c["id"]: c for c in report["clusters"]}
    assert [row[0] for row in ranking][: len(report["boilerplate"])] == [
        b["cluster"] for b in report["boilerplate"]
    ][: len(ranking)]
    for cluster, documents, duplicate_bytes in ranking:
        assert documents == by_id[cluster]["documents"]
        assert duplicate_bytes == by_id[cluster]["duplicate_bytes"]

    per_source = con.execute(per_source_sql).fetchall()
    expected = {s["source"]: s for s in report["sources"]}
    assert {row[0] for row in per_source} == set(expected)
    for source, documents, ratio in per_source:
        assert documents == expected[source]["documents"]
        assert round(ratio, 6) == pytest.approx(expected[source]["duplicate_byte_ratio"], abs=1e-6)
    assert per_source[-1][0] == "plain.example" and per_source[-1][2] == 0

    joined = con.execute(join_sql).fetchall()
    top = max(report["clusters"], key=lambda c: (c["documents"], -c["id"]))
    assert len(joined) == top["size"]
    texts = [row[2] for row in joined]
    assert all(top["text"] in text for text in texts)


def test_readme_polars_queries_agree_with_duckdb(scanned):
    work, _ = scanned
    (code,) = readme_blocks("python")
    os.chdir(work)
    scope = {}
    exec(code, scope)
    con = duckdb.connect()
    ranking_sql, per_source_sql, _ = readme_blocks("sql")
    assert scope["ranking"].rows() == con.execute(ranking_sql).fetchall()
    polars_ratios = [(s, d, round(r, 9)) for s, d, r in scope["per_source"].rows()]
    duckdb_ratios = [(s, d, round(r, 9)) for s, d, r in con.execute(per_source_sql).fetchall()]
    assert polars_ratios == duckdb_ratios


def test_dedup_output_read_by_pyarrow_keeps_schema_rows_and_other_columns(tmp_path):
    rows = corpus()
    for i, row in enumerate(rows):
        row["meta"] = {"url": f"https://{row['source']}/{i}", "words": len(row["text"].split())}
        row["score"] = i * 0.5
    table = pa.Table.from_pylist(rows).replace_schema_metadata({"huggingface": '{"info": 1}'})
    (tmp_path / "data").mkdir()
    pq.write_table(table, tmp_path / "data" / "part-0.parquet", compression="gzip",
                   row_group_size=15)
    run = subprocess.run([binary(), "dedup", "data", "-o", "out", "--quiet"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    before = pq.ParquetFile(tmp_path / "data" / "part-0.parquet")
    after = pq.ParquetFile(tmp_path / "out" / "part-0.parquet")
    assert after.schema_arrow == before.schema_arrow
    assert after.schema_arrow.metadata[b"huggingface"] == b'{"info": 1}'
    assert after.metadata.num_rows == before.metadata.num_rows
    assert [after.metadata.row_group(g).num_rows for g in range(after.metadata.num_row_groups)] \
        == [before.metadata.row_group(g).num_rows for g in range(before.metadata.num_row_groups)]
    assert after.metadata.row_group(0).column(0).compression == "GZIP"
    old, new = before.read(), after.read()
    for name in old.column_names:
        if name != "text":
            assert new.column(name).equals(old.column(name)), name
    old_texts, new_texts = old.column("text").to_pylist(), new.column("text").to_pylist()
    changed = [(a, b) for a, b in zip(old_texts, new_texts) if a != b]
    assert changed, "some repeats were removed"
    assert all(FOOTER not in b or a.count(FOOTER) == 1 for a, b in changed)
    # The footer stays in its first document only.
    assert sum(FOOTER in t for t in new_texts) == 1
