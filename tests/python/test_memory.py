"""A scan under a memory budget (``memory=``): past half of it the tables go to a spill folder,
and the report is the same as in memory; the folder is gone afterwards.

Run by .ci/run after the wheel is installed in its venv.
"""

import gc
import json
import random
import re
import warnings

import pyarrow as pa
import pytest

import paradup


def corpus(documents=6000, seed=5):
    """Web-like texts: unique paragraphs, exact boilerplate, near copies, a dense family."""
    rng = random.Random(seed)
    vocabulary = [f"w{i}" for i in range(3000)]
    sentence = lambda n: [rng.choice(vocabulary) for _ in range(n)]
    boilerplate = [" ".join(sentence(rng.randint(12, 30))) for _ in range(30)]
    shared = [sentence(rng.randint(15, 40)) for _ in range(300)]
    template = sentence(24)
    texts = []
    for _ in range(documents):
        paragraphs = []
        for _ in range(rng.randint(4, 12)):
            kind = rng.randrange(8)
            if kind < 2:
                paragraphs.append(rng.choice(boilerplate))
            elif kind < 4:
                words = list(rng.choice(shared))
                words[rng.randrange(len(words))] = rng.choice(vocabulary)
                paragraphs.append(" ".join(words))
            elif kind == 4:
                words = list(template)
                words[rng.randrange(24)] = f"v{rng.randrange(5000)}"
                paragraphs.append(" ".join(words))
            else:
                paragraphs.append(" ".join(sentence(rng.randint(8, 40))))
        texts.append("\n\n".join(paragraphs))
    return texts


def without_timing(report):
    data = report.to_dict()
    data.get("timing", {}).pop("seconds", None)
    return data


def page_without_timing(report, path):
    report.to_html(path)
    return re.sub(r"scanned in [0-9.]+ s", "", path.read_text())


def test_a_budget_that_spills_gives_the_same_report(tmp_path):
    texts = corpus()
    spill = tmp_path / "spill"
    spill.mkdir()
    in_memory = paradup.scan(texts, threads=2)
    bounded = paradup.scan(texts, threads=2, memory="1M", tmp_dir=spill)
    assert in_memory.summary["cross_document_clusters"] > 100
    # The clusters' copies stay in the spill folder while the report lives, and every output
    # reads them from there as a report in memory holds them.
    assert len(list(spill.iterdir())) == 1
    assert without_timing(bounded) == without_timing(in_memory)
    assert bounded.members().equals(in_memory.members())
    assert bounded.members().num_rows > 2 * 4096
    assert bounded.duplicate_mask() == in_memory.duplicate_mask()
    assert page_without_timing(bounded, tmp_path / "b.html") == page_without_timing(
        in_memory, tmp_path / "a.html"
    )
    assert bounded._native.dedup_rows() == in_memory._native.dedup_rows()
    del bounded
    gc.collect()
    assert list(spill.iterdir()) == []
    cleaned = paradup.dedup(texts, memory="1M", tmp_dir=spill)
    assert cleaned == paradup.dedup(texts)
    assert list(spill.iterdir()) == []
    # Arrow data and files too, with the budget in bytes.
    table = pa.table({"id": [str(i) for i in range(len(texts))], "text": texts})
    assert without_timing(paradup.scan(table, memory=1 << 20, tmp_dir=spill)) == (
        without_timing(paradup.scan(table))
    )
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(texts)))
    with pytest.warns(RuntimeWarning, match="is likely too small"):
        from_files = paradup.scan(str(path), memory="1M", tmp_dir=spill)
    assert from_files.summary == paradup.scan(str(path)).summary
    del from_files
    assert list(spill.iterdir()) == []


def test_a_budget_too_small_for_what_stays_in_memory_is_warned_while_reading(tmp_path):
    path = tmp_path / "corpus.jsonl"
    path.write_text("".join(json.dumps({"id": str(i), "text": t}) + "\n" for i, t in enumerate(corpus())))
    spill = tmp_path / "spill"
    spill.mkdir()
    # The documents, exact hashes and distinct paragraphs outgrow half of 1 MiB, not of 16 MiB;
    # both budgets spill.
    with pytest.warns(RuntimeWarning, match="a memory budget of 1.0 MiB is likely too small"):
        paradup.scan(str(path), memory="1M", tmp_dir=spill)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        paradup.scan(str(path), memory="16M", tmp_dir=spill)
        # Warnings made errors end the scan there, and the spill folder still goes.
        with pytest.raises(RuntimeWarning):
            paradup.scan(str(path), memory="1M", tmp_dir=spill)
    assert list(spill.iterdir()) == []


def test_the_budget_is_used_and_bad_budgets_are_refused(tmp_path):
    texts = corpus(3000)
    # The tables pass half of this budget: the spill folder is needed, and cannot be made here.
    with pytest.raises(OSError, match="cannot make a spill folder"):
        paradup.scan(texts, memory="1M", tmp_dir=tmp_path / "missing")
    with pytest.raises(ValueError, match="not a size"):
        paradup.scan(texts, memory="lots")
    with pytest.raises(ValueError, match="too small"):
        paradup.scan(texts, memory=1000)
    with pytest.raises(ValueError, match="containment"):
        paradup.scan(texts, memory="1G", containment=0.9)
