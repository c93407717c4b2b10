"""The connected-components stage of paradup.spark against union-find."""

from __future__ import annotations

import random

import pytest

from paradup.spark import connected_components


def union_find_labels(edges):
    parent = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return {node: find(node) for node in parent}


def spark_labels(spark, edges, **kwargs):
    frame = spark.createDataFrame(edges, "src long, dst long")
    rows = connected_components(frame, **kwargs).collect()
    labels = {row["node"]: row["label"] for row in rows}
    assert len(labels) == len(rows), "each node has one label"
    return labels


def test_components_equal_union_find_on_random_graphs(spark):
    spark.conf.set("spark.sql.shuffle.partitions", "3")
    rng = random.Random(11)
    for nodes, edges in [(40, 30), (300, 280), (500, 900), (2000, 1500)]:
        # Node numbers spread out and shuffled, self-loops and repeated edges included.
        names = rng.sample(range(10**9), nodes)
        graph = [(names[rng.randrange(nodes)], names[rng.randrange(nodes)]) for _ in range(edges)]
        graph += graph[:5] + [(names[0], names[0])]
        expected = union_find_labels(graph)
        got = spark_labels(spark, graph)
        # A self-loop alone is no edge: its node needs no label.
        expected = {n: l for n, l in expected.items() if n in got or l != n}
        assert got == expected


def test_a_path_of_ten_thousand_nodes_is_one_component(spark):
    spark.conf.set("spark.sql.shuffle.partitions", "4")
    rng = random.Random(5)
    order = list(range(10_000))
    rng.shuffle(order)  # the path visits the nodes in a random order: no help from numbering
    path = [(order[i], order[i + 1]) for i in range(len(order) - 1)]
    labels = spark_labels(spark, path)
    assert len(labels) == 10_000
    assert set(labels.values()) == {0}


def test_the_rounds_are_bounded(spark):
    spark.conf.set("spark.sql.shuffle.partitions", "2")
    path = [(i, i + 1) for i in range(2000)]
    with pytest.raises(RuntimeError, match="did not converge in 1 rounds"):
        spark_labels(spark, path[::-1], max_rounds=1)


def test_ranks_within_a_group_spread_over_partitions(spark):
    """The ranks that cut a large LSH bucket into blocks: a group of 5,000 rows is cut over
    several range partitions, and still ranked 0..4,999 in order."""
    from pyspark.sql import functions as F

    from paradup.spark import _with_index

    spark.conf.set("spark.sql.shuffle.partitions", "4")
    rng = random.Random(3)
    big = rng.sample(range(10**12), 5000)
    small = rng.sample(range(10**12), 100)
    rows = [(1, 42, pos) for pos in big] + [(2, 7, pos) for pos in small]
    rng.shuffle(rows)
    frame = spark.createDataFrame(rows, "band int, key long, pos long").repartition(3)
    spread = (
        frame.repartitionByRange(4, "band", "key", "pos")
        .where("band = 1")
        .select(F.spark_partition_id().alias("p"))
        .distinct()
        .count()
    )
    assert spread >= 2, "the test needs a group cut over partitions"
    ranked = _with_index(frame, ["pos"], "rank", group_cols=["band", "key"]).collect()
    got = {(r["band"], r["pos"]): r["rank"] for r in ranked}
    expected = {(1, pos): i for i, pos in enumerate(sorted(big))}
    expected.update({(2, pos): i for i, pos in enumerate(sorted(small))})
    assert got == expected


def test_a_node_between_two_stars_joins_them(spark):
    # After one large-star and small-star round this graph is two stars (around 0 and 1) that
    # share the leaf 2: not yet converged, though no edge points to a node that points further.
    spark.conf.set("spark.sql.shuffle.partitions", "2")
    graph = [(3, 2), (3, 0), (4, 2), (4, 1)]
    assert spark_labels(spark, graph) == {n: 0 for n in range(5)}
