"""The Python module (python/, built with maturin): the same results as the command line, from
paths, lists, pyarrow, Polars and Parquet; the duplicate mask against dedup; errors; the GIL.

Run by .ci/run after the wheel is installed in its venv. The binary compared against is
$PARADUP, else target/ci/paradup; a missing binary or module fails the run.
"""

import json
import os
import random
import subprocess
import threading
import time
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import paradup

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("PARADUP", ROOT / "target" / "ci" / "paradup")).resolve()

WORDS = (
    "river harbour lantern council winter ferry market school bridge garden village station "
    "museum festival library hospital tower road meadow forest valley island coast mountain "
    "street square office minister report budget election weather train season team player"
).split()


def corpus(documents=300, seed=5):
    """Short web-like documents: a pool of paragraphs reused (some with a word changed), dense
    templated lines that differ in one word, quoted e-mail lines, boilerplate, and text of their
    own."""
    rng = random.Random(seed)
    pool = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(12, 40))) for _ in range(40)]
    boilerplate = "Subscribe to our newsletter for the latest stories from the valley every morning."
    docs = []
    for i in range(documents):
        paragraphs = []
        for _ in range(rng.randint(2, 6)):
            roll = rng.random()
            if roll < 0.35:
                paragraphs.append(rng.choice(pool))
            elif roll < 0.5:
                words = rng.choice(pool).split()
                words[rng.randrange(len(words))] = rng.choice(WORDS)
                paragraphs.append(" ".join(words))
            elif roll < 0.6:
                paragraphs.append(
                    f"The {rng.choice(WORDS)} of the {rng.choice(WORDS)} will open on day "
                    f"{rng.randint(1, 9)} at the usual time for every resident of the town."
                )
            elif roll < 0.7:
                paragraphs.append("> " + rng.choice(pool))
            else:
                paragraphs.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 30))))
        if i % 4 == 0:
            paragraphs.append(boilerplate)
        docs.append({"id": f"doc-{i:04d}", "text": "\n\n".join(paragraphs)})
    return docs


def run_cli(*args):
    out = subprocess.run([str(BINARY), *map(str, args)], capture_output=True, text=True)
    assert out.returncode in (0, 1), out.stderr
    return out


def without_timing(report):
    report = dict(report)
    report.pop("timing", None)
    return report


def clusters_without_locations(report):
    clusters = json.loads(json.dumps(report["clusters"]))
    for cluster in clusters:
        for member in cluster["members"]:
            member.pop("location")
    return clusters


def write_jsonl(path, docs):
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))


def test_scan_of_the_sample_data_is_the_command_lines_report(tmp_path):
    out = tmp_path / "cli.json"
    run_cli("scan", ROOT / "data", "--json", out, "--quiet")
    cli = json.loads(out.read_text())
    report = paradup.scan(str(ROOT / "data"))
    assert report.summary["documents"] == 6
    assert without_timing(report.to_dict()) == without_timing(cli)
    report.to_json(tmp_path / "py.json")
    assert without_timing(json.loads((tmp_path / "py.json").read_text())) == without_timing(cli)


def test_a_generated_corpus_from_python_is_the_command_lines_report(tmp_path):
    docs = corpus()
    write_jsonl(tmp_path / "c.jsonl", docs)
    run_cli("scan", tmp_path / "c.jsonl", "--json", tmp_path / "cli.json", "--quiet")
    cli = json.loads((tmp_path / "cli.json").read_text())
    assert cli["summary"]["duplicate_paragraphs"] > 100
    assert without_timing(paradup.scan(tmp_path / "c.jsonl").to_dict()) == without_timing(cli)
    from_dicts = paradup.scan(docs).to_dict()
    assert from_dicts["summary"] == cli["summary"]
    assert clusters_without_locations(from_dicts) == clusters_without_locations(cli)


def test_lists_pyarrow_polars_and_parquet_give_the_same_clusters(tmp_path):
    docs = corpus(seed=9)
    table = pa.table({"id": [d["id"] for d in docs], "text": [d["text"] for d in docs]})
    pq.write_table(table, tmp_path / "c.parquet", row_group_size=64)
    results = {
        "dicts": paradup.scan(docs),
        "pyarrow": paradup.scan(table),
        "reader": paradup.scan(pa.RecordBatchReader.from_batches(table.schema, table.to_batches(50))),
        "polars": paradup.scan(pl.from_arrow(table)),
        "parquet": paradup.scan(tmp_path / "c.parquet"),
        "large_string": paradup.scan(table.cast(pa.schema([("id", pa.string()), ("text", pa.large_string())]))),
    }
    expected = clusters_without_locations(results["dicts"].to_dict())
    assert len(expected) > 20
    for name, report in results.items():
        assert clusters_without_locations(report.to_dict()) == expected, name
    # Plain strings are named by their position.
    strings = paradup.scan([d["text"] for d in docs]).to_dict()
    assert strings["summary"] == results["dicts"].summary
    first = strings["clusters"][0]["members"][0]
    assert first["doc"] == str(first["doc_index"])


def test_the_duplicate_mask_keeps_exactly_the_rows_dedup_keeps(tmp_path):
    docs = corpus(seed=3)
    # Whole documents copied, and copied with a word changed: rows dedup leaves out.
    for i in range(0, 60, 3):
        docs.append({"id": f"copy-{i}", "text": docs[i]["text"]})
    write_jsonl(tmp_path / "c.jsonl", docs)
    run_cli("dedup", tmp_path / "c.jsonl", "-o", tmp_path / "out.jsonl",
            "--drop-duplicate-documents", "--quiet")
    kept_by_dedup = [json.loads(line)["id"] for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    mask = paradup.scan(docs).duplicate_mask()
    assert len(mask) == len(docs)
    kept = [d["id"] for d, duplicate in zip(docs, mask) if not duplicate]
    assert kept == kept_by_dedup
    assert len(kept) < len(docs) - 15
    # The same mask filters an Arrow table row for row, null texts included (never duplicates).
    table = pa.table({"id": [d["id"] for d in docs] + ["empty"],
                      "text": [d["text"] for d in docs] + [None]})
    arrow_mask = paradup.scan(table).duplicate_mask()
    assert arrow_mask == mask + [False]
    assert table.filter(pa.array([not m for m in arrow_mask])).column("id").to_pylist() == kept + ["empty"]


def test_members_table_and_html_report(tmp_path):
    report = paradup.scan(corpus(seed=4))
    members = report.members()
    assert isinstance(members, pa.Table)
    assert members.num_rows == sum(c.size for c in report.clusters)
    assert members.column("is_canonical").to_pylist().count(True) == len(report.clusters)
    report.to_html(tmp_path / "r.html")
    page = (tmp_path / "r.html").read_text()
    assert "<html" in page and report.clusters[0].text[:40] in page


def test_outputs_are_written_as_the_command_writes_them(tmp_path):
    # The report's files follow the command's rules for outputs: a link is followed and the file
    # at its end replaced, a folder is refused by name, and nothing is left beside the target.
    report = paradup.scan(corpus(seed=5))
    target = tmp_path / "real.json"
    target.write_text("earlier")
    link = tmp_path / "link.json"
    link.symlink_to("real.json")
    report.to_json(link)
    assert link.is_symlink()
    assert json.loads(target.read_text())["summary"] == report.summary
    with pytest.raises(OSError, match="cannot write .*: it is a folder"):
        report.to_json(tmp_path)
    with pytest.raises(OSError, match="missing.*No such file"):
        report.to_html(tmp_path / "missing" / "r.html")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.json", "real.json"]


def test_bad_input_raises_with_path_and_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "a", "text": "fine words here"}\n{"id": "b", "text": \n')
    with pytest.raises(paradup.InputError) as error:
        paradup.scan(bad, strict=True)
    assert error.value.path.endswith("bad.jsonl") and error.value.line == 2
    assert error.value.kind == "invalid_json"
    # Without strict the record is skipped and counted.
    assert paradup.scan(bad).summary["skipped_records"] == 1
    with pytest.raises(paradup.InputError) as error:
        paradup.scan(pa.table({"body": ["x"]}))
    assert "no text column 'text'" in str(error.value) and error.value.path == "<arrow>"
    assert error.value.kind == "bad_column"
    with pytest.raises(paradup.InputError) as error:
        paradup.scan([{"text": "ok"}, {"text": 5}])
    assert error.value.line == 1 and error.value.kind == "text_not_string"
    with pytest.raises(ValueError, match="threshold"):
        paradup.scan(["a"], threshold=1.5)
    with pytest.raises(ValueError, match="split"):
        paradup.scan(["a"], split="sideways")
    with pytest.raises(ValueError, match="bands and rows"):
        paradup.scan(["a"], bands=4)
    with pytest.raises(ValueError, match="exceeds num-perm"):
        paradup.scan(["a"], bands=20, rows=8)
    with pytest.raises(paradup.InputError) as error:
        paradup.scan(tmp_path / "missing.jsonl")
    assert error.value.kind == "unreadable"


def test_the_gil_is_released_while_a_scan_runs():
    texts = [d["text"] for d in corpus(documents=40000, seed=8)]
    done = threading.Event()
    result = {}

    def work():
        result["report"] = paradup.scan(texts)
        done.set()

    ticks = 0
    worker = threading.Thread(target=work)
    started = time.perf_counter()
    worker.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    worker.join()
    elapsed = time.perf_counter() - started
    assert result["report"].summary["documents"] == 40000
    # The scan takes a good part of a second; holding the GIL would leave this thread a tick or
    # two (at its start and end), not one every few milliseconds.
    assert elapsed > 0.1, elapsed
    assert ticks >= 20, (ticks, elapsed)


def test_band_keys_and_similarity_rebuild_the_scans_clusters():
    """The Spark building blocks: join paragraphs on exact hash and on (band, key), verify the
    candidates, join the pairs; the components are the scan's clusters."""
    docs = corpus(documents=80, seed=12)
    texts = [d["text"] for d in docs]
    fingerprinter = paradup.Fingerprinter()
    keys = fingerprinter.band_keys(pa.table({"text": texts}))
    assert keys.schema.names == ["doc", "paragraph", "start", "end", "exact_hash", "band", "key"]
    rows = keys.to_pylist()
    paragraph_text = {}
    for row in rows:
        raw = texts[row["doc"]].encode()[row["start"]:row["end"]].decode()
        paragraph_text[(row["doc"], row["paragraph"])] = (raw, row["exact_hash"])
    parent = {p: p for p in paragraph_text}

    def find(p):
        while parent[p] != p:
            parent[p] = parent[parent[p]]
            p = parent[p]
        return p

    def union(a, b):
        parent[find(a)] = find(b)

    by_hash, by_key = {}, {}
    for row in rows:
        p = (row["doc"], row["paragraph"])
        by_hash.setdefault(row["exact_hash"], []).append(p)
        if row["band"] is not None:
            by_key.setdefault((row["band"], row["key"]), []).append(p)
    for group in by_hash.values():
        for other in group[1:]:
            union(group[0], other)
    candidates = {(a, b) for group in by_key.values() for a in group for b in group if a < b}
    candidates = sorted(c for c in candidates if paragraph_text[c[0]][1] != paragraph_text[c[1]][1])
    scores = fingerprinter.similarity(
        [paragraph_text[a][0] for a, _ in candidates], [paragraph_text[b][0] for _, b in candidates]
    )
    assert any(0.8 <= s < 1.0 for s in scores), "near copies are among the candidates"
    for (a, b), score in zip(candidates, scores):
        if score >= 0.8:
            union(a, b)
    components = {}
    for p in paragraph_text:
        components.setdefault(find(p), set()).add(p)
    rebuilt = sorted(sorted(c) for c in components.values() if len(c) > 1)
    report = paradup.scan(texts)
    scanned = sorted(
        sorted((int(m.doc), m.paragraph) for m in cluster.members) for cluster in report.clusters
    )
    assert len(scanned) > 10
    assert rebuilt == scanned
    with pytest.raises(ValueError):
        fingerprinter.similarity(["a"], [])


def test_dedup_of_a_table_is_the_commands_dedup(tmp_path):
    docs = corpus(seed=21)
    for i in range(0, 30, 3):
        docs.append({"id": f"copy-{i}", "text": docs[i]["text"]})
    write_jsonl(tmp_path / "c.jsonl", docs)
    for flags, drop in (([], False), (["--drop-duplicate-documents"], True)):
        out = tmp_path / f"out{len(flags)}.jsonl"
        run_cli("dedup", tmp_path / "c.jsonl", "-o", out, "--quiet", *flags)
        expected = [json.loads(line) for line in out.read_text().splitlines()]
        table = pa.table({"id": [d["id"] for d in docs], "text": [d["text"] for d in docs],
                          "n": list(range(len(docs)))})
        cleaned = paradup.dedup(table, drop_duplicate_documents=drop)
        assert cleaned.column_names == ["id", "text", "n"]
        assert cleaned.select(["id", "text"]).to_pylist() == [
            {"id": e["id"], "text": e["text"]} for e in expected
        ]
        as_list = paradup.dedup([d["text"] for d in docs], drop_duplicate_documents=drop)
        assert as_list == [e["text"] for e in expected]
    shorter = sum(len(d["text"]) for d in docs) - sum(len(t) for t in as_list)
    assert shorter > 1000
    annotated = paradup.dedup(table, annotate=True)
    assert annotated.column("text").to_pylist() == [d["text"] for d in docs]
    ranges = annotated.column("paradup_removed").to_pylist()
    assert sum(len(r) for r in ranges) > 50
    with pytest.raises(ValueError, match="output="):
        paradup.dedup(tmp_path / "c.jsonl")
