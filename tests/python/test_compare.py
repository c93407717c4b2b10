"""paradup.compare: the contamination check from Python gives the command's report
(``paradup compare --json``) for files, and the same verdicts and spans for lists, pyarrow and
Polars; errors are Python exceptions.

Run by .ci/run after the wheel is installed in its venv; the binary compared against is
$PARADUP, else target/ci/paradup.
"""

import json
import os
import random
import subprocess
from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

import paradup

ROOT = Path(__file__).resolve().parents[2]
BINARY = Path(os.environ.get("PARADUP", ROOT / "target" / "ci" / "paradup")).resolve()
ARTICLES = ROOT / "data" / "articles"


def reference_sentences():
    """The sentences of the bundled articles: the training data test items leak from."""
    sentences = []
    for path in sorted(ARTICLES.iterdir()):
        for line in path.read_text(encoding="utf-8").splitlines():
            for sentence in line.split(". "):
                if len(sentence.split()) >= 16:
                    sentences.append(sentence.strip())
    return sentences


def leak_items(seed=11):
    """Test items: whole leaked sentences, leaks reformatted (case, spacing, a word changed), items with a
    leaked half, and items of their own."""
    rng = random.Random(seed)
    sentences = reference_sentences()
    assert len(sentences) >= 20
    words = "quartz lemur velvet tundra harbor piano orbit saffron glacier comet".split()
    items = []
    for i in range(60):
        kind = i % 4
        source = rng.choice(sentences)
        if kind == 0:
            text = source
        elif kind == 1:
            # Reformatted: upper case, another spacing, the last word changed.
            tokens = source.upper().split()
            tokens[-1] = rng.choice(words)
            text = "  ".join(tokens)
        elif kind == 2:
            own = " ".join(rng.choice(words) for _ in range(len(source.split())))
            text = f"{source} {own}"
        else:
            text = " ".join(rng.choice(words) for _ in range(rng.randint(10, 30)))
        items.append({"id": f"q{i:03d}", "text": text})
    return items


def write_jsonl(path, records):
    with open(path, "w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")


def without_timing(report):
    report = dict(report)
    report.pop("timing", None)
    return report


def measured(report):
    """What an item's measurement is, whatever its location says."""
    return [
        (
            item["doc"],
            item["words"],
            item["matched_words"],
            item["share"],
            item["verdict"],
            [
                (s["start"], s["end"], s["words"], s["text"], s["reference"]["text"])
                for s in item["spans"]
            ],
        )
        for item in report["items"]
    ]


def test_compare_of_files_equals_the_command(tmp_path):
    items = leak_items()
    inputs = tmp_path / "test.jsonl"
    write_jsonl(inputs, items)
    cli_json = tmp_path / "cli.json"
    out = subprocess.run(
        [str(BINARY), "compare", str(inputs), "--reference", str(ARTICLES), "--json", str(cli_json), "-q"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stderr
    expected = json.loads(cli_json.read_text())
    report = paradup.compare(str(inputs), str(ARTICLES))
    assert without_timing(report.to_dict()) == without_timing(expected)
    # The leaks are found, reformatted ones too, and the items of their own are clean.
    verdicts = report.verdicts()
    assert len(verdicts) == len(items)
    assert all(v == "dirty" for v in verdicts[0::4])
    assert all(v == "dirty" for v in verdicts[1::4])
    assert all(v == "partial" for v in verdicts[2::4])
    assert all(v == "clean" for v in verdicts[3::4])
    assert report.summary["dirty"] == expected["summary"]["dirty"] > 0
    written = tmp_path / "py.json"
    report.to_json(written)
    assert without_timing(json.loads(written.read_text())) == without_timing(expected)


def test_lists_arrow_and_polars_measure_alike():
    items = leak_items(seed=12)
    reference = [{"id": p.name, "text": p.read_text(encoding="utf-8")} for p in sorted(ARTICLES.iterdir())]
    from_dicts = paradup.compare(items, reference)
    from_texts = paradup.compare([i["text"] for i in items], [r["text"] for r in reference])
    from_arrow = paradup.compare(pa.Table.from_pylist(items), pa.Table.from_pylist(reference))
    from_polars = paradup.compare(pl.DataFrame(items), pl.DataFrame(reference))
    expected = measured(from_dicts.to_dict())
    assert measured(from_arrow.to_dict()) == expected
    assert measured(from_polars.to_dict()) == expected
    # Without ids, items are named by their row.
    assert [m[1:] for m in measured(from_texts.to_dict())] == [m[1:] for m in expected]
    assert [i["doc"] for i in from_texts.items] == [str(n) for n in range(len(items))]
    # The reference text of every span is the reference's own.
    texts = {r["id"]: r["text"] for r in reference}
    spans = [s for i in from_dicts.items for s in i["spans"]]
    assert spans
    for span in spans:
        ref = span["reference"]
        assert texts[ref["doc"]].encode()[ref["start"]:ref["end"]].decode() == ref["text"]
    mask = from_arrow.dirty_mask()
    assert mask == [v == "dirty" for v in from_dicts.verdicts()]
    assert any(mask) and not all(mask)


def test_null_texts_are_counted_and_keep_rows_aligned():
    reference = [p.read_text(encoding="utf-8") for p in sorted(ARTICLES.iterdir())]
    leak = reference_sentences()[0]
    report = paradup.compare(pa.table({"text": [leak, None, "nothing of the reference here at all"]}), reference)
    assert report.verdicts() == ["dirty", None, "clean"]
    assert report.summary["items"] == 2
    assert report.summary["skipped_records"] == 1
    assert report.errors[0]["row"] == 1


def test_bad_input_and_parameters_raise(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "fine enough line here"}\n{"text": broken\n', encoding="utf-8")
    reference = [p.read_text(encoding="utf-8") for p in sorted(ARTICLES.iterdir())]
    report = paradup.compare(str(bad), reference)
    assert report.summary["skipped_records"] == 1
    assert report.errors[0]["line"] == 2 and report.errors[0]["path"].endswith("bad.jsonl")
    with pytest.raises(paradup.InputError) as missing:
        paradup.compare(str(tmp_path / "missing.jsonl"), reference)
    assert "missing.jsonl" in missing.value.path
    with pytest.raises(ValueError, match="no documents"):
        paradup.compare(["a test item"], pa.table({"text": pa.array([None], type=pa.string())}))
    with pytest.raises(ValueError):
        paradup.compare(["a test item"], reference, min_ngram=20, ngram=13)
    with pytest.raises(ValueError):
        paradup.compare(["a test item"], reference, dirty_share=1.5)
