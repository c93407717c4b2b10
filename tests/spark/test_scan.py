"""paradup.spark's scan against the command's, on the planted corpus (tests/spark/corpus.py)."""

from __future__ import annotations

import json
import os

import pyarrow.parquet as pq
import pytest

import paradup.spark as paradup_spark

# Fields of the summary that count work, not findings: the command verifies at most 48 pairs a
# member of a large bucket and skips pairs already joined; Spark verifies each member's window.
WORK_COUNTS = {"candidate_pairs", "verified_pairs"}


def memberships(report):
    """Each cluster as the set of (document, paragraph) of its copies."""
    return sorted(
        sorted((m["doc_index"], m["paragraph"]) for m in cluster["members"])
        for cluster in report["clusters"]
    )


def assert_same_findings(spark_report, command_report):
    assert memberships(spark_report) == memberships(command_report)
    assert {k: v for k, v in spark_report["summary"].items() if k not in WORK_COUNTS} == {
        k: v for k, v in command_report["summary"].items() if k not in WORK_COUNTS
    }
    assert spark_report["params"] == command_report["params"]
    assert spark_report["boilerplate"] == command_report["boilerplate"]
    assert spark_report["sources"] == command_report["sources"]
    for ours, theirs in zip(spark_report["clusters"], command_report["clusters"]):
        assert {k: v for k, v in ours.items() if k != "members"} == {
            k: v for k, v in theirs.items() if k != "members"
        }
        for mine, expected in zip(ours["members"], theirs["members"]):
            # Spark names files by URI (file:/...), the command by the path it was given.
            assert mine["location"].endswith(expected["location"])
            assert {k: v for k, v in mine.items() if k != "location"} == {
                k: v for k, v in expected.items() if k != "location"
            }


def test_the_corpus_plants_every_kind_of_repeat(command_report):
    sizes = [c["size"] for c in command_report["clusters"]]
    assert 2000 in sizes, "the dense family is one cluster"
    assert sizes.count(150) == 2, "both drift chains are found whole"
    assert any(any(m["via_chain"] for m in c["members"]) for c in command_report["clusters"])
    assert command_report["summary"]["within_document_clusters"] > 0
    texts = [c["text"] for c in command_report["clusters"]]
    assert any("港务局" in t for t in texts) and any("λιμάνι" in t for t in texts)
    assert "Read more." in texts, "a text too short for the near tier, by the exact tier"


# Each input partitioning once, each shuffle partitioning at least once (a whole Spark scan each:
# the full grid of six took 232 s of the Spark tests' 529 s on a slow hour).
PARTITIONINGS = [(1, 8), (3, 1), (8, 8)]


@pytest.mark.parametrize(
    "input_partitions, shuffle_partitions",
    PARTITIONINGS,
    ids=[f"in{i}-sh{s}" for i, s in PARTITIONINGS],
)
def test_clusters_equal_the_commands(spark, corpus_folder, command_report, input_partitions, shuffle_partitions):
    spark.conf.set("spark.sql.shuffle.partitions", str(shuffle_partitions))
    total = sum(os.path.getsize(os.path.join(corpus_folder, f)) for f in os.listdir(corpus_folder))
    # Small splits cut each file into several blocks: the row numbers must not depend on them.
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(total // 8 + 1))
    spark.conf.set("spark.sql.files.openCostInBytes", "0")
    try:
        documents = paradup_spark.read(spark, [corpus_folder], source_col="source")
        assert documents.rdd.getNumPartitions() >= 8
        documents = documents.repartition(input_partitions)
        assert documents.rdd.getNumPartitions() == input_partitions
        result = paradup_spark.scan(
            documents, "text", "id", "source", order_col="order", location_col="location"
        )
        assert_same_findings(result.report(), command_report)
        assert result.summary.first()["documents"] == 2500
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
        spark.conf.unset("spark.sql.files.openCostInBytes")


def test_the_command_writes_the_report_and_the_members_table(spark, corpus_folder, command_report, tmp_path):
    spark.conf.set("spark.sql.shuffle.partitions", "8")
    report_path = tmp_path / "report.json"
    members_path = tmp_path / "members.parquet"
    clusters_path = tmp_path / "clusters.parquet"
    status = paradup_spark.main(
        [
            "scan",
            corpus_folder,
            "--source-field",
            "source",
            "--json",
            str(report_path),
            "--members",
            str(members_path),
            "--clusters",
            str(clusters_path),
        ]
    )
    assert status == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert_same_findings(report, command_report)
    table = pq.read_table(str(members_path))
    assert table.num_rows == sum(c["size"] for c in command_report["clusters"])
    rows = table.to_pylist()
    # In the report's order: by cluster, canonical copy first.
    assert [(r["cluster"], r["doc_index"], r["paragraph"]) for r in rows] == [
        (c["id"], m["doc_index"], m["paragraph"]) for c in command_report["clusters"] for m in c["members"]
    ]
    assert [r["is_canonical"] for r in rows] == [
        i == 0 for c in command_report["clusters"] for i in range(len(c["members"]))
    ]
    clusters = pq.read_table(str(clusters_path)).to_pylist()
    assert clusters == [
        {k: v for k, v in c.items() if k != "members"} for c in command_report["clusters"]
    ]


def test_bad_parameters_and_columns_are_refused(spark):
    frame = spark.createDataFrame([("a", "some text")], "id string, text string")
    with pytest.raises(ValueError, match="threshold"):
        paradup_spark.scan(frame, threshold=1.5)
    with pytest.raises(ValueError, match="no column 'body'"):
        paradup_spark.scan(frame, text_col="body")
    with pytest.raises(ValueError, match="containment"):
        paradup_spark.scan(frame, containment=1.5)


def test_a_dense_family_is_found_whole_at_a_bounded_number_of_pairs(spark):
    """3,000 variants of one paragraph (one word of 60 replaced in each) share one LSH bucket a
    band: the bucket is cut into blocks, not expanded into its 4.5 million pairs."""
    import random

    import paradup

    spark.conf.set("spark.sql.shuffle.partitions", "4")
    rng = random.Random(2)
    words = [f"w{rng.randrange(400)}" for _ in range(60)]
    records = []
    for index in range(3000):
        variant = list(words)
        variant[rng.randrange(60)] = f"x{index}"
        records.append((f"v{index:05d}", " ".join(variant)))
    frame = spark.createDataFrame(records, "id string, text string")
    report = paradup_spark.scan(frame).report("none")
    expected = paradup.scan([{"id": i, "text": t} for i, t in records]).to_dict()
    assert report["summary"]["duplicate_paragraphs"] == expected["summary"]["duplicate_paragraphs"] == 2999
    # At most 2 x 64 - 1 pairs a member a band (17 bands): linear in the family's size. The
    # windows of different bands overlap, so far fewer are made (867,032: 289 a member).
    all_pairs = 3000 * 2999 // 2
    bound = 3000 * (2 * paradup_spark.BLOCK - 1) * report["params"]["bands"]
    assert report["summary"]["candidate_pairs"] <= bound
    assert report["summary"]["candidate_pairs"] < all_pairs / 4


def test_parquet_rows_are_numbered_in_file_order_whatever_the_splits(spark, tmp_path):
    """Parquet files cut into many splits (one a row group) give each row its place: files by
    path, rows in the file, as the command numbers them."""
    import pyarrow as pa

    records = [{"id": f"r{i}", "text": f"text {i}"} for i in range(5000)]
    folder = tmp_path / "shards"
    folder.mkdir()
    for shard, (start, end) in enumerate([(0, 2000), (2000, 5000)]):
        table = pa.Table.from_pylist(records[start:end])
        pq.write_table(table, str(folder / f"part-{shard}.parquet"), row_group_size=250)
    spark.conf.set("spark.sql.shuffle.partitions", "3")
    spark.conf.set("spark.sql.files.maxPartitionBytes", "4096")
    spark.conf.set("spark.sql.files.openCostInBytes", "0")
    try:
        documents = paradup_spark.read(spark, [str(folder)])
        assert documents.rdd.getNumPartitions() >= 8, "the test needs the files cut into splits"
        rows = sorted(documents.select("order", "location", "id").collect())
    finally:
        spark.conf.unset("spark.sql.files.maxPartitionBytes")
        spark.conf.unset("spark.sql.files.openCostInBytes")
    assert [r["order"] for r in rows] == list(range(5000))
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    assert rows[0]["location"].endswith("part-0.parquet:0")
    assert rows[2000]["location"].endswith("part-1.parquet:0")
    assert rows[4999]["location"].endswith("part-1.parquet:2999")


def quoted_excerpts_corpus():
    """300 documents of random paragraphs, with passages quoted out of longer paragraphs: the
    first two sentences of a long paragraph quoted alone in other documents (after it, and once
    before it: the excerpt is then the canonical copy), near copies of quoted paragraphs (so some
    members join through others), and an excerpt with one word changed."""
    import random

    from corpus import _replace_words, _sentence

    rng = random.Random(13)
    bodies = [[_sentence(rng, rng.randint(12, 40)) for _ in range(rng.randint(2, 4))] for _ in range(300)]
    planted = []
    for index in range(12):
        sentences = [_sentence(rng, rng.randint(14, 18)) for _ in range(4)]
        long_paragraph = " ".join(sentences)
        excerpt = " ".join(sentences[:2])
        docs = rng.sample(range(300), 4)
        if index % 4 == 0:
            excerpt_doc, long_doc = min(docs), max(docs)  # the excerpt comes first
        else:
            long_doc, excerpt_doc = min(docs), max(docs)
        bodies[long_doc].insert(rng.randint(0, len(bodies[long_doc])), long_paragraph)
        bodies[excerpt_doc].insert(rng.randint(0, len(bodies[excerpt_doc])), excerpt)
        planted.append((long_doc, excerpt_doc, long_paragraph, excerpt))
        others = [d for d in docs if d not in (long_doc, excerpt_doc)]
        if index % 3 == 0:
            bodies[others[0]].append(_replace_words(rng, long_paragraph, 2))
        if index % 3 == 1:
            bodies[others[0]].append(_replace_words(rng, excerpt, 1))
    records = [{"id": f"d{i:04d}", "text": "\n\n".join(b)} for i, b in enumerate(bodies)]
    excerpts = [
        ((long_doc, records[long_doc]["text"].split("\n\n").index(long_paragraph)),
         (excerpt_doc, records[excerpt_doc]["text"].split("\n\n").index(excerpt)))
        for long_doc, excerpt_doc, long_paragraph, excerpt in planted
    ]
    return records, excerpts


def assert_same_containment_findings(report, expected):
    assert memberships(report) == memberships(expected)
    assert {k: v for k, v in report["summary"].items() if k not in WORK_COUNTS} == {
        k: v for k, v in expected["summary"].items() if k not in WORK_COUNTS
    }
    assert report["params"] == expected["params"]
    assert report["params"]["containment"] == 0.9
    for ours, theirs in zip(report["clusters"], expected["clusters"]):
        assert {k: v for k, v in ours.items() if k != "members"} == {
            k: v for k, v in theirs.items() if k != "members"
        }
        # Every member field (similarity, containment, contained, via_chain...) but the location
        # (Spark names files by URI).
        assert [{k: v for k, v in m.items() if k != "location"} for m in ours["members"]] == [
            {k: v for k, v in m.items() if k != "location"} for m in theirs["members"]
        ]


def test_quoted_excerpts_join_as_on_one_machine_with_containment(spark):
    """``containment=0.9``: a passage quoted alone out of a longer paragraph (Jaccard far below
    0.8, so LSH never pairs them) joins it, with the same clusters and member fields as
    ``paradup scan --containment 0.9`` (one input partition, one shuffle partition)."""
    import paradup

    records, excerpts = quoted_excerpts_corpus()
    expected = paradup.scan(records, containment=0.9).to_dict()
    # The planted excerpts are joined to their long paragraphs, some as canonical copies.
    cluster_of = {
        (m["doc_index"], m["paragraph"]): c["id"] for c in expected["clusters"] for m in c["members"]
    }
    for long_copy, excerpt in excerpts:
        assert long_copy in cluster_of and cluster_of.get(excerpt) == cluster_of[long_copy]
    flags = [(m["contained"], m["via_chain"]) for c in expected["clusters"] for m in c["members"]]
    assert (True, False) in flags and (False, True) in flags
    # Without containment the excerpts stay apart: the test needs the containment join.
    plain = paradup.scan(records).to_dict()
    assert memberships(plain) != memberships(expected)

    spark.conf.set("spark.sql.shuffle.partitions", "1")
    frame = spark.createDataFrame([(r["id"], r["text"]) for r in records], "id string, text string")
    frame = frame.repartition(1)
    assert_same_containment_findings(paradup_spark.scan(frame, containment=0.9).report(), expected)


def test_the_command_takes_containment(spark, tmp_path):
    """``python -m paradup.spark scan ... --containment 0.9`` on the same corpus in two JSON
    Lines shards (Spark's reader partitions them), 5 shuffle partitions: the command's findings."""
    import paradup

    from corpus import write_jsonl_shards

    records, _ = quoted_excerpts_corpus()
    folder = tmp_path / "excerpts"
    write_jsonl_shards(records, str(folder), shards=2)
    expected = paradup.scan(str(folder), containment=0.9).to_dict()
    report_path = tmp_path / "report.json"
    spark.conf.set("spark.sql.shuffle.partitions", "5")
    status = paradup_spark.main(["scan", str(folder), "--containment", "0.9", "--json", str(report_path)])
    assert status == 0
    report = json.loads(report_path.read_text(encoding="utf-8"))
    assert any(m["contained"] for c in report["clusters"] for m in c["members"])
    assert_same_containment_findings(report, expected)
