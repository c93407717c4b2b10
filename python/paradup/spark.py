"""paradup on Apache Spark: the scan of ``paradup scan``, spread over a cluster.

Each stage is a DataFrame; every step that touches a text or a shingle set runs in paradup's
engine through ``mapInArrow`` (``paradup._paradup.SparkBlocks``), one Arrow batch at a time:

1. documents get a stable index from their order (file, then row in the file; or a column), never
   from ``monotonically_increasing_id``, which changes with the partitioning;
2. the engine cuts each document into paragraphs: span, exact hash, and for paragraphs of the near
   tier the shingle set and LSH band keys;
3. the exact tier groups paragraphs by exact hash (one distinct text each, numbered by its first
   occurrence); the near tier groups distinct texts by (band, key): every pair of a bucket of at
   most 64 members is a candidate, and a larger bucket (a dense family) is ranked by first
   occurrence and cut into blocks of 64, each member paired with the members of its block and the
   block before: at most 127 pairs a member, the bucket's rows spread over as many tasks as it has
   blocks, never expanded into all its pairs;
4. the engine verifies each candidate pair by exact Jaccard on the shingle sets joined to it;
   with a containment threshold, passages lying inside longer ones are paired through an
   inverted index of shingles (each text's first 8 shingles carried by 2 to 256 texts) and
   verified by exact containment, as on one machine;
5. connected components of the verified pairs, alternating large-star and small-star steps until
   every component is a star around its smallest member (the first occurrence), with a bound on
   the rounds;
6. clusters, their kind, members, the boilerplate ranking and the totals, written as the JSON
   report of ``paradup scan`` (``paradup.report/v1``) and the members table as Parquet.

``scan(df, ...)`` runs it on a DataFrame; ``python -m paradup.spark scan INPUT...`` (or
``spark-submit`` of this file) reads Parquet or JSON Lines with Spark's readers.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from typing import Any, Dict, Iterator, List, Optional, Sequence

from paradup import _engine_params, _paradup

__all__ = ["scan", "read", "connected_components", "SparkScan", "main"]

#: Buckets of at most this many distinct paragraphs are expanded into all their pairs (as on one
#: machine: ``paradup_core::lsh::FULL_PAIRING_LIMIT``).
FULL_PAIRING_LIMIT = 64
#: A larger bucket is cut into blocks of this many members, in order of first occurrence; each
#: member is verified against the members before it in its block and in the block before.
BLOCK = 64
#: Paragraph numbers within a document take the low bits of a paragraph's position key.
PARAGRAPH_BITS = 24

_PARAGRAPH_SCHEMA = (
    "doc long, paragraph int, start long, end long, exact long, near boolean, "
    "keys array<long>, shingles array<int>"
)


def _describe(spark: Any, stage: str) -> None:
    """Names the Spark jobs that follow after the stage they serve (the UI and the monitoring
    API show it: benches/spark_scan.py sums time and shuffle bytes by it)."""
    spark.sparkContext.setJobDescription(f"paradup: {stage}")


def _spark_functions():
    from pyspark.sql import functions as F

    return F


# --- Stage 1: stable document numbers ---------------------------------------------------------


def _number_within_runs(group_cols: Sequence[str], name: str):
    """A ``mapInArrow`` function adding ``name``: each row's position within its partition, or,
    with ``group_cols``, within its run of equal group values (rows arrive sorted)."""
    group_cols = list(group_cols)

    def number(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa
        import pyarrow.compute as pc

        count = 0
        last: Optional[List[Any]] = None
        for batch in batches:
            n = batch.num_rows
            if n == 0:
                yield batch.append_column(name, pa.array([], pa.int64()))
                continue
            index = pc.subtract(pc.cumulative_sum(pa.nulls(n, pa.int64()).fill_null(1)), 1)
            if not group_cols:
                local = pc.add(index, count)
            else:
                keys = [batch.column(c) for c in group_cols]
                first_changed = last is None or any(
                    key[0].as_py() != previous for key, previous in zip(keys, last)
                )
                change = pa.array([first_changed])
                if n > 1:
                    inner = None
                    for key in keys:
                        differs = pc.fill_null(pc.not_equal(key.slice(1), key.slice(0, n - 1)), True)
                        inner = differs if inner is None else pc.or_(inner, differs)
                    change = pa.concat_arrays([change, inner])
                start = pc.cumulative_max(pc.if_else(change, index, -1))
                local = pc.if_else(
                    pc.greater_equal(start, 0), pc.subtract(index, start), pc.add(index, count)
                )
                last = [key[n - 1].as_py() for key in keys]
            count = local[n - 1].as_py() + 1
            yield batch.append_column(name, local)

    return number


def _with_index(df: Any, order_cols: Sequence[str], name: str, group_cols: Sequence[str] = ()) -> Any:
    """``df`` with ``name``: the 0-based position of each row in the order of ``order_cols``
    (which must be unique), or, with ``group_cols``, within its group. Rows are range-partitioned
    by the order, numbered within each partition, and offset by the rows of the partitions
    before: a group spreads over as many tasks as its rows fill, never one task whole."""
    from pyspark import StorageLevel
    from pyspark.sql.types import LongType, StructField, StructType

    F = _spark_functions()
    spark = df.sparkSession
    parts = int(spark.conf.get("spark.sql.shuffle.partitions"))
    cols = list(group_cols) + [c for c in order_cols if c not in group_cols]
    ordered = (
        df.repartitionByRange(max(parts, 1), *cols)
        .sortWithinPartitions(*cols)
        .withColumn("_pid", F.spark_partition_id())
    )
    schema = StructType(ordered.schema.fields + [StructField("_local", LongType(), False)])
    tagged = ordered.mapInArrow(_number_within_runs(group_cols, "_local"), schema)
    tagged = tagged.persist(StorageLevel.MEMORY_AND_DISK)
    counts = tagged.groupBy("_pid", *group_cols).agg(F.count(F.lit(1)).alias("_rows"))
    if group_cols:
        from pyspark.sql import Window

        before = Window.partitionBy(*group_cols).orderBy("_pid")
        offsets = counts.withColumn("_offset", F.sum("_rows").over(before) - F.col("_rows"))
        joined = tagged.join(offsets.drop("_rows"), ["_pid", *group_cols])
    else:
        rows = sorted((r["_pid"], r["_rows"]) for r in counts.collect())
        offset, table = 0, []
        for pid, count in rows:
            table.append((pid, offset))
            offset += count
        offsets = spark.createDataFrame(table, "_pid int, _offset long")
        joined = tagged.join(F.broadcast(offsets), "_pid")
    return joined.withColumn(name, F.col("_offset") + F.col("_local")).drop(
        "_pid", "_local", "_offset"
    )


def read(
    spark: Any,
    paths: Sequence[str],
    *,
    text_col: str = "text",
    id_col: str = "id",
    source_col: Optional[str] = None,
    format: Optional[str] = None,
) -> Any:
    """Reads Parquet or JSON Lines files (or folders of them) with Spark's readers, as a
    DataFrame of ``order`` (the row's position in the input: files by path, then rows in the
    file), ``location`` (``PATH:ROW`` for Parquet, 0-based; ``PATH:LINE`` for JSON Lines, one
    record a line), ``id`` (the ``id_col`` value, or the location), ``source`` and ``text``."""
    from pyspark.sql.types import StringType, StructField, StructType

    F = _spark_functions()
    paths = [os.fspath(p) for p in paths]
    if not paths:
        raise ValueError("no input paths")
    fmt = format or _guess_format(paths)
    _describe(spark, "0 read")
    if fmt == "parquet":
        raw = spark.read.option("recursiveFileLookup", "true").parquet(*paths)
    elif fmt == "json":
        wanted = [text_col, id_col] + ([source_col] if source_col else [])
        schema = StructType([StructField(c, StringType(), True) for c in dict.fromkeys(wanted)])
        raw = spark.read.option("recursiveFileLookup", "true").schema(schema).json(paths)
    else:
        raise ValueError(f"format must be 'parquet' or 'json', not {fmt!r}")
    if text_col not in raw.columns:
        raise ValueError(f"the data has no text column '{text_col}' ({', '.join(paths)})")

    def text_of(column: Optional[str]) -> Any:
        if column and column in raw.columns:
            return F.col(f"`{column}`").cast("string")
        return F.lit(None).cast("string")

    rows = raw.select(
        F.col("_metadata.file_path").alias("_file"),
        F.col("_metadata.file_block_start").alias("_block"),
        text_of(id_col).alias("_id"),
        text_of(source_col).alias("source"),
        F.col(f"`{text_col}`").alias("text"),
    )
    # Rows of one file split arrive in file order in one task: numbered there, then offset by
    # the rows of the splits before (a small table of splits, gathered on the driver).
    from pyspark.sql.types import LongType

    schema = StructType(rows.schema.fields + [StructField("_local", LongType(), False)])
    numbered = rows.mapInArrow(_number_within_runs(["_file", "_block"], "_local"), schema)
    splits = sorted(
        (r["_file"], r["_block"], r["_rows"])
        for r in numbered.groupBy("_file", "_block")
        .agg(F.max("_local").alias("_last"), F.count(F.lit(1)).alias("_rows"))
        .collect()
    )
    table, total, in_file, previous_file = [], 0, 0, None
    for file, block, count in splits:
        if file != previous_file:
            in_file, previous_file = 0, file
        table.append((file, block, in_file, total))
        in_file += count
        total += count
    offsets = spark.createDataFrame(
        table, "_file string, _block long, _file_offset long, _offset long"
    )
    line = F.col("_file_offset") + F.col("_local") + (1 if fmt == "json" else 0)
    located = numbered.join(F.broadcast(offsets), ["_file", "_block"])
    location = F.concat(F.col("_file"), F.lit(":"), line.cast("string"))
    return located.select(
        (F.col("_offset") + F.col("_local")).alias("order"),
        location.alias("location"),
        F.coalesce(F.col("_id"), location).alias("id"),
        "source",
        "text",
    )


def _guess_format(paths: Sequence[str]) -> str:
    """``parquet`` or ``json`` from the files' names (a folder: from the files in it)."""
    names: List[str] = []
    for path in paths:
        if os.path.isdir(path):
            for folder, _, files in os.walk(path):
                names.extend(files)
        else:
            names.append(path)
    if names and all(n.endswith(".parquet") for n in names):
        return "parquet"
    if names and all(n.endswith((".jsonl", ".json", ".jsonl.gz", ".json.gz", ".ndjson")) for n in names):
        return "json"
    raise ValueError(
        "cannot tell the format from the file names (.parquet, or .jsonl/.json[.gz]): "
        "give format='parquet' or 'json'"
    )


# --- Stage 5: connected components -------------------------------------------------------------


def connected_components(edges: Any, src: str = "src", dst: str = "dst", max_rounds: int = 100) -> Any:
    """Connected components of the undirected graph ``edges`` (two long columns): a DataFrame of
    ``(node, label)``, the label the smallest node of the component, for every node on an edge.

    Alternates large-star and small-star (Kiveris et al., "Connected Components in MapReduce and
    Beyond", 2014) until every component is a star around its smallest node, each round
    checkpointed; raises ``RuntimeError`` after ``max_rounds`` rounds without convergence
    (O(log^2 n) rounds suffice: a path of 10,000 nodes takes 11)."""
    F = _spark_functions()
    graph = (
        edges.select(F.col(src).cast("long").alias("u"), F.col(dst).cast("long").alias("v"))
        .where(F.col("u") != F.col("v"))
        .select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
        .distinct()
        .localCheckpoint()
    )
    for _ in range(max_rounds):
        graph = _small_star(_large_star(graph)).localCheckpoint()
        # A forest of stars: no edge points to a node that itself points further, and no node
        # points to two (a leaf shared by two stars joins them).
        parents = graph.select(F.col("v").alias("u")).distinct()
        chained = graph.join(parents, "u", "left_semi").select("u")
        shared = graph.groupBy("u").count().where(F.col("count") > 1).select("u")
        if chained.union(shared).limit(1).count() == 0:
            return graph.select(F.col("u").alias("node"), F.col("v").alias("label")).union(
                graph.select(F.col("v").alias("node"), F.col("v").alias("label")).distinct()
            )
    raise RuntimeError(f"connected components did not converge in {max_rounds} rounds")


def _large_star(graph: Any) -> Any:
    """Each node's larger neighbours are attached to the smallest node of its neighbourhood."""
    F = _spark_functions()
    both = graph.union(graph.select(F.col("v").alias("u"), F.col("u").alias("v")))
    smallest = both.groupBy("u").agg(F.least(F.min("v"), F.col("u")).alias("m"))
    return (
        both.join(smallest, "u")
        .where(F.col("v") > F.col("u"))
        .select(F.col("v").alias("u"), F.col("m").alias("v"))
        .distinct()
    )


def _small_star(graph: Any) -> Any:
    """Each node and its smaller neighbours are attached to the smallest of them; edges come out
    as ``(larger, smaller)``."""
    F = _spark_functions()
    oriented = graph.select(F.greatest("u", "v").alias("u"), F.least("u", "v").alias("v"))
    smallest = oriented.groupBy("u").agg(F.min("v").alias("m"))
    joined = oriented.join(smallest, "u")
    return (
        joined.select(F.col("v").alias("u"), F.col("m").alias("v"))
        .union(joined.select(F.col("u"), F.col("m").alias("v")))
        .where(F.col("u") != F.col("v"))
        .distinct()
    )


# --- The scan ----------------------------------------------------------------------------------


class SparkScan:
    """A finished scan on Spark: ``members``, ``clusters`` and ``summary`` are DataFrames (the
    first two as the members table and the JSON report's clusters lay them out), ``report()``
    the JSON report as a dict, ``write_json`` and ``write_members`` write them."""

    def __init__(self, members: Any, clusters: Any, summary: Any, extra: Dict[str, Any]):
        self.members = members
        self.clusters = clusters
        self.summary = summary
        self._extra = extra
        self._report: Optional[dict] = None

    def report(self, members: str = "all") -> dict:
        """The JSON report (``paradup.report/v1``) as a dict; ``members``: all, canonical or none
        (the cluster member lists are gathered on the driver: for a very large corpus keep them
        in the members table and ask for ``none``)."""
        if members not in ("all", "canonical", "none"):
            raise ValueError(f"members must be 'all', 'canonical' or 'none', not {members!r}")
        return _report(self, members)

    def write_json(self, path: str, members: str = "all") -> None:
        """Writes the JSON report to the local file ``path`` (atomically)."""
        text = json.dumps(self.report(members), ensure_ascii=False, separators=(",", ":"))
        _write_atomically(path, text.encode("utf-8"))

    def write_clusters(self, path: str, mode: str = "overwrite") -> None:
        """Writes the clusters (the JSON report's cluster fields but the member lists) as
        Parquet at ``path``, by id: at any size, where the JSON report gathers them on the
        driver."""
        _describe(self.clusters.sparkSession, "6 clusters table")
        self.clusters.write.mode(mode).parquet(path)

    def write_members(self, path: str, mode: str = "overwrite") -> None:
        """Writes the members table as Parquet (a folder of part files, Spark's way) at ``path``,
        in the order of the JSON report."""
        _describe(self.members.sparkSession, "6 members table")
        self.members.write.mode(mode).parquet(path)


def _write_atomically(path: str, data: bytes) -> None:
    folder = os.path.dirname(os.path.abspath(path))
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".paradup-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _blocks_function(params: dict, method: str, *args: str):
    """A ``mapInArrow`` function running ``SparkBlocks.method`` on each batch, appending the
    columns it returns to the batch's own."""

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import pyarrow as pa

        from paradup import _paradup as engine

        blocks = engine.SparkBlocks(params)
        call = getattr(blocks, method)
        for batch in batches:
            result = pa.record_batch(call(batch, *args))
            if method == "paragraphs":
                yield result
                continue
            if method == "verify":
                batch = batch.drop_columns(list(args))
            for field, column in zip(result.schema, result.columns):
                name = "span_text" if method == "spans" else field.name
                batch = batch.append_column(name, column)
            yield batch

    return run


def scan(
    df: Any,
    text_col: str = "text",
    id_col: str = "id",
    source_col: Optional[str] = None,
    *,
    order_col: Optional[str] = None,
    location_col: Optional[str] = None,
    threshold: float = 0.8,
    ngram: int = 3,
    num_perm: int = 128,
    min_words: int = 10,
    split: str = "auto",
    unit: str = "paragraph",
    containment: Optional[float] = None,
    bands: Optional[int] = None,
    rows: Optional[int] = None,
    max_rounds: int = 100,
) -> SparkScan:
    """Finds the repeated paragraphs of the documents in ``df`` (one a row, the text in
    ``text_col``), with the parameters and defaults of ``paradup.scan``.

    Documents are taken in the order of ``order_col`` (``read`` gives ``order``: files by path,
    rows in the file), else of ``id_col``; that column must be unique. Rows with a null text are
    left out and counted as skipped. Returns a :class:`SparkScan`."""
    F = _spark_functions()
    from pyspark import StorageLevel

    started = time.time()
    params = _engine_params(
        threshold, ngram, num_perm, min_words, split, unit, containment, 1, bands, rows
    )
    # The parameters are checked, and written into the report, by the engine itself.
    engine_report = json.loads(_paradup.scan_texts([], None, None, params).json("none"))
    engine_params = engine_report["params"]
    order = order_col or id_col
    for column in {order, text_col, id_col} | ({source_col} if source_col else set()):
        if column not in df.columns:
            raise ValueError(f"the DataFrame has no column '{column}'")
    location = F.col(f"`{location_col}`") if location_col else F.col(f"`{id_col}`").cast("string")
    given = df.select(
        F.col(f"`{order}`").alias("_order"),
        F.col(f"`{id_col}`").cast("string").alias("id"),
        (F.col(f"`{source_col}`").cast("string") if source_col else F.lit(None).cast("string")).alias(
            "source"
        ),
        location.alias("location"),
        F.col(f"`{text_col}`").cast("string").alias("text"),
    )
    # Read once: the checks and the numbering below each go over the documents.
    given = given.persist(StorageLevel.MEMORY_AND_DISK)
    spark = df.sparkSession
    _describe(spark, "1 document order")
    skipped = given.where(F.col("text").isNull()).select("location").collect()
    kept = given.where(F.col("text").isNotNull())
    if kept.groupBy("_order").count().where(F.col("count") > 1).limit(1).count():
        raise ValueError(f"column '{order}' has repeated values: it must order the documents")
    documents = _with_index(kept, ["_order"], "doc").drop("_order")
    documents = documents.persist(StorageLevel.MEMORY_AND_DISK)
    document_count = documents.count()
    given.unpersist()

    # Stage 2: paragraphs, their exact hashes and near-tier prints, from the engine.
    paragraphs = (
        documents.select("doc", "text")
        .mapInArrow(_blocks_function(params, "paragraphs", "doc", "text"), _PARAGRAPH_SCHEMA)
        .withColumn("pos", F.shiftleft(F.col("doc"), PARAGRAPH_BITS) + F.col("paragraph"))
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    _describe(spark, "2 fingerprints")
    too_many = paragraphs.where(F.col("paragraph") >= (1 << PARAGRAPH_BITS)).limit(1).count()
    if too_many:
        raise ValueError(f"a document has more than {1 << PARAGRAPH_BITS} paragraphs")

    # Stage 3a: the exact tier. A distinct text is named by the position of its first copy.
    distinct = (
        paragraphs.groupBy("exact")
        .agg(
            F.min("pos").alias("dpos"),
            F.min_by(F.struct("near", "keys", "shingles"), "pos").alias("first"),
        )
        .select("exact", "dpos", "first.near", "first.keys", "first.shingles")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    shingles = distinct.where("near").select("dpos", "shingles")

    # Stage 3b: the near tier, candidate pairs from (band, key) buckets.
    bands_rows = distinct.where("near").select("dpos", F.posexplode("keys").alias("band", "key"))
    bucket_sizes = bands_rows.groupBy("band", "key").agg(F.count(F.lit(1)).alias("size"))
    large_keys = bucket_sizes.where(F.col("size") > FULL_PAIRING_LIMIT).select("band", "key")
    large_keys = large_keys.persist(StorageLevel.MEMORY_AND_DISK)
    # Rows of large buckets are set aside by a broadcast join: the shuffle that pairs small
    # buckets never carries a large bucket to one task.
    small_rows = bands_rows.join(F.broadcast(large_keys), ["band", "key"], "left_anti")
    left, right = small_rows.alias("l"), small_rows.alias("r")
    small_pairs = left.join(
        right,
        (F.col("l.band") == F.col("r.band"))
        & (F.col("l.key") == F.col("r.key"))
        & (F.col("l.dpos") < F.col("r.dpos")),
    ).select(F.col("l.dpos").alias("a"), F.col("r.dpos").alias("b"))
    large_rows = bands_rows.join(F.broadcast(large_keys), ["band", "key"])
    ranked = _with_index(large_rows, ["dpos"], "rank", group_cols=["band", "key"]).withColumn(
        "block", F.floor(F.col("rank") / BLOCK)
    )
    earlier = ranked.alias("e")
    later = ranked.withColumn("pair_block", F.explode(F.array(F.col("block"), F.col("block") - 1))).alias(
        "m"
    )
    large_pairs = earlier.join(
        later,
        (F.col("e.band") == F.col("m.band"))
        & (F.col("e.key") == F.col("m.key"))
        & (F.col("e.block") == F.col("m.pair_block"))
        & (F.col("e.rank") < F.col("m.rank")),
    ).select(F.col("e.dpos").alias("a"), F.col("m.dpos").alias("b"))
    candidates = small_pairs.union(large_pairs).distinct().persist(StorageLevel.MEMORY_AND_DISK)
    _describe(spark, "3 exact tier and candidate pairs")
    candidate_count = candidates.count()

    # Stage 4: verification by the engine, on the shingle sets joined to each pair.
    verified = _verify(candidates, shingles, params).where("accepted").select("a", "b")
    if containment is not None:
        # Under a containment threshold, passages lying inside longer ones, which LSH on
        # similarity does not pair, found through their rarest shingles and verified by exact
        # containment.
        contained = _containment_candidates(shingles).persist(StorageLevel.MEMORY_AND_DISK)
        _describe(spark, "4 containment candidates")
        candidate_count += contained.count()
        contained = (
            _verify(contained, shingles, params)
            .where(F.col("containment") >= F.lit(float(containment)))
            .select("a", "b")
        )
        verified = verified.union(contained)
    verified = verified.persist(StorageLevel.MEMORY_AND_DISK)
    _describe(spark, "4 verification")
    verified_count = verified.count()

    # Stage 5: connected components; a distinct text on no verified pair is its own root.
    _describe(spark, "5 connected components")
    labels = connected_components(verified, "a", "b", max_rounds=max_rounds)
    roots = (
        distinct.select("exact", "dpos")
        .join(labels.withColumnRenamed("node", "dpos"), "dpos", "left")
        .select("exact", "dpos", F.coalesce("label", "dpos").alias("root"))
    )

    # Stage 6: clusters (roots with two or more copies), numbered by their canonical copy.
    occurrences = paragraphs.select("doc", "paragraph", "start", "end", "exact", "pos").join(
        roots, "exact"
    )
    occurrences = occurrences.persist(StorageLevel.MEMORY_AND_DISK)
    cluster_roots = (
        occurrences.groupBy("root")
        .agg(
            F.count(F.lit(1)).alias("size"),
            F.countDistinct("doc").alias("documents"),
            F.sum(F.col("end") - F.col("start")).alias("_bytes"),
        )
        .where(F.col("size") >= 2)
    )
    _describe(spark, "6 clusters")
    cluster_roots = _with_index(cluster_roots, ["root"], "cluster")
    # Similarity of each distinct text of a cluster to its canonical copy's (the root's).
    to_canonical = (
        roots.where(F.col("root") != F.col("dpos"))
        .select(F.col("dpos").alias("a"), F.col("root").alias("b"))
    )
    to_canonical = _verify(to_canonical, shingles, params).select(
        F.col("a").alias("dpos"), "similarity", "containment"
    )
    similarity = F.coalesce("similarity", F.lit(1.0))
    below = similarity < F.lit(threshold)
    # As on one machine: a member below the similarity threshold joined either as a passage
    # contained in the canonical copy (or containing it), or through other members.
    if containment is None:
        contained_flag = F.lit(False)
    else:
        contained_flag = below & (F.coalesce("containment", F.lit(1.0)) >= F.lit(float(containment)))
    members = (
        occurrences.join(cluster_roots, "root")
        .join(to_canonical, "dpos", "left")
        .join(documents.select("doc", "id", "source", "location"), "doc")
        .select(
            "cluster",
            F.when(F.col("documents") > 1, "cross_document").otherwise("within_document").alias("kind"),
            F.col("size").alias("cluster_size"),
            F.col("documents").alias("cluster_documents"),
            F.col("id").alias("doc"),
            F.col("doc").alias("doc_index"),
            "source",
            "location",
            "paragraph",
            "start",
            "end",
            similarity.alias("similarity"),
            F.coalesce("containment", F.lit(1.0)).alias("containment"),
            contained_flag.alias("contained"),
            (below & ~contained_flag).alias("via_chain"),
            (F.col("pos") == F.col("root")).alias("is_canonical"),
            "pos",
        )
        .orderBy("cluster", "pos")
        .drop("pos")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    canonical = (
        occurrences.where(F.col("pos") == F.col("root"))
        .select("root", "doc", "start", "end")
        .join(documents.select("doc", "text"), "doc")
        .select("root", "doc", "start", "end", "text")
    )
    canonical_texts = canonical.mapInArrow(
        _blocks_function(params, "spans", "text", "start", "end"),
        "root long, doc long, start long, end long, text string, span_text string",
    ).select("root", F.col("end") - F.col("start"), "span_text")
    canonical_texts = canonical_texts.toDF("root", "_canonical_bytes", "text")
    clusters = (
        cluster_roots.join(canonical_texts, "root")
        .select(
            F.col("cluster").alias("id"),
            F.when(F.col("documents") > 1, "cross_document").otherwise("within_document").alias("kind"),
            "documents",
            "size",
            (F.col("_bytes") - F.col("_canonical_bytes")).alias("duplicate_bytes"),
            "text",
        )
        .orderBy("id")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )

    totals = documents.select(
        F.count(F.lit(1)).alias("documents"), F.sum(F.octet_length("text")).alias("bytes")
    ).first()
    paragraph_count = paragraphs.count()
    distinct_count = distinct.count()
    cluster_totals = clusters.select(
        F.coalesce(F.sum(F.col("size") - 1), F.lit(0)).alias("duplicate_paragraphs"),
        F.coalesce(F.sum("duplicate_bytes"), F.lit(0)).alias("duplicate_bytes"),
        F.coalesce(F.sum(F.when(F.col("kind") == "within_document", 1).otherwise(0)), F.lit(0)).alias(
            "within"
        ),
        F.count(F.lit(1)).alias("clusters"),
    ).first()

    def ratio(part: int, whole: int) -> float:
        return round(part / whole * 1e6) / 1e6 if whole else 0.0

    byte_total = int(totals["bytes"] or 0)
    duplicate_paragraphs = int(cluster_totals["duplicate_paragraphs"])
    duplicate_bytes = int(cluster_totals["duplicate_bytes"])
    summary = {
        "documents": int(document_count),
        "paragraphs": int(paragraph_count),
        "duplicate_paragraphs": duplicate_paragraphs,
        "duplicate_ratio": ratio(duplicate_paragraphs, paragraph_count),
        "bytes": byte_total,
        "duplicate_bytes": duplicate_bytes,
        "duplicate_byte_ratio": ratio(duplicate_bytes, byte_total),
        "within_document_clusters": int(cluster_totals["within"]),
        "cross_document_clusters": int(cluster_totals["clusters"]) - int(cluster_totals["within"]),
        "distinct_paragraphs": int(distinct_count),
        "candidate_pairs": int(candidate_count),
        "verified_pairs": int(verified_count),
        "skipped_records": len(skipped),
        "invalid_utf8_records": 0,
    }
    summary_df = spark.createDataFrame([tuple(summary.values())], list(summary.keys()))
    extra = {
        "params": engine_params,
        "tool": engine_report["tool"],
        "summary": summary,
        "errors": [
            {"path": r["location"], "message": f"text column '{text_col}' is null"} for r in skipped
        ],
        "documents": documents,
        "paragraphs": paragraphs,
        "has_sources": source_col is not None,
        "started": started,
    }
    return SparkScan(members, clusters, summary_df, extra)


#: Shingles of a paragraph sampled to find the paragraphs that contain it (as on one machine:
#: ``CONTAINMENT_SAMPLE`` in ``src/scan.rs``).
CONTAINMENT_SAMPLE = 8
#: Shingles carried by more distinct paragraphs than this are too common to sample.
CONTAINMENT_POSTING_LIMIT = 256


def _containment_candidates(shingles: Any) -> Any:
    """Candidate pairs ``(a, b)`` for containment among the near tier's distinct texts
    (``shingles``: ``dpos``, ``shingles``), as ``paradup scan --containment`` makes them: an
    inverted index of every shingle; each text samples its first ``CONTAINMENT_SAMPLE`` shingles
    (in the engine's ascending order) whose posting list holds 2 to ``CONTAINMENT_POSTING_LIMIT``
    texts, and pairs with every larger text (by shingle count, then first occurrence) found in
    at least half of its samples. The posting limit bounds the pairs to 8 x 256 a text."""
    from pyspark.sql import Window

    F = _spark_functions()
    postings = shingles.select(
        "dpos",
        F.size("shingles").alias("n"),
        F.posexplode("shingles").alias("rank", "shingle"),
    )
    sizes = postings.groupBy("shingle").agg(F.count(F.lit(1)).alias("posting"))
    usable = sizes.where(
        (F.col("posting") >= 2) & (F.col("posting") <= CONTAINMENT_POSTING_LIMIT)
    ).select("shingle")
    usable_postings = postings.join(usable, "shingle")
    # The sets are sorted as the engine sorts them (unsigned), so array order is its order.
    first = Window.partitionBy("dpos").orderBy("rank")
    samples = (
        usable_postings.withColumn("sample", F.row_number().over(first))
        .where(F.col("sample") <= CONTAINMENT_SAMPLE)
        .withColumn("sampled", F.count(F.lit(1)).over(Window.partitionBy("dpos")))
        .select("dpos", "n", "shingle", "sampled")
    )
    others = usable_postings.select(
        F.col("dpos").alias("other"), F.col("n").alias("other_n"), "shingle"
    )
    larger = (F.col("other_n") > F.col("n")) | (
        (F.col("other_n") == F.col("n")) & (F.col("other") > F.col("dpos"))
    )
    return (
        samples.join(others, "shingle")
        .where(larger)
        .groupBy("dpos", "other", "sampled")
        .agg(F.count(F.lit(1)).alias("shared"))
        .where(F.col("shared") * 2 >= F.col("sampled"))
        .select(F.col("dpos").alias("a"), F.col("other").alias("b"))
    )


def _verify(pairs: Any, shingles: Any, params: dict) -> Any:
    """``pairs`` (columns ``a``, ``b``: distinct texts) with the engine's ``similarity``,
    ``containment`` and ``accepted`` for each, computed on their shingle sets."""
    F = _spark_functions()
    joined = (
        pairs.join(shingles.select(F.col("dpos").alias("a"), F.col("shingles").alias("left")), "a")
        .join(shingles.select(F.col("dpos").alias("b"), F.col("shingles").alias("right")), "b")
        .select("a", "b", "left", "right")
    )
    return joined.mapInArrow(
        _blocks_function(params, "verify", "left", "right"),
        "a long, b long, similarity double, containment double, accepted boolean",
    )


def _report(result: SparkScan, member_lists: str) -> dict:
    F = _spark_functions()
    extra = result._extra
    summary = dict(extra["summary"])
    _describe(result.clusters.sparkSession, "6 report")
    clusters = [row.asDict() for row in result.clusters.collect()]
    boilerplate = sorted(
        (c for c in clusters if c["kind"] == "cross_document"),
        key=lambda c: (-c["documents"], -c["duplicate_bytes"], c["id"]),
    )
    member_rows: Dict[int, List[dict]] = {}
    if member_lists != "none":
        members = result.members
        if member_lists == "canonical":
            members = members.where("is_canonical")
        for row in members.collect():
            member_rows.setdefault(row["cluster"], []).append(row.asDict())
    report_clusters = []
    for c in clusters:
        report_clusters.append(
            {
                "id": c["id"],
                "kind": c["kind"],
                "documents": c["documents"],
                "size": c["size"],
                "duplicate_bytes": c["duplicate_bytes"],
                "text": c["text"] or "",
                "members": [
                    {
                        "doc": m["doc"],
                        "doc_index": m["doc_index"],
                        "location": m["location"],
                        "paragraph": m["paragraph"],
                        "start": m["start"],
                        "end": m["end"],
                        "similarity": round(m["similarity"] * 1e6) / 1e6,
                        "containment": round(m["containment"] * 1e6) / 1e6,
                        "contained": m["contained"],
                        "via_chain": m["via_chain"],
                    }
                    for m in member_rows.get(c["id"], [])
                ],
            }
        )
    report: Dict[str, Any] = {
        "schema": "paradup.report/v1",
        "tool": extra["tool"],
        "params": extra["params"],
        "summary": summary,
        "boilerplate": [
            {"cluster": c["id"], "documents": c["documents"], "duplicate_bytes": c["duplicate_bytes"]}
            for c in boilerplate
        ],
        "clusters": report_clusters,
    }
    if member_lists != "all":
        report["member_lists"] = member_lists
    report["errors"] = extra["errors"]
    report["warnings"] = []
    report["sources"] = _sources(result) if extra["has_sources"] else []
    report["timing"] = {"seconds": round(time.time() - extra["started"], 3)}
    return report


def _sources(result: SparkScan) -> List[dict]:
    """Per-source totals, sorted by name with the documents without a source last."""
    F = _spark_functions()
    documents = result._extra["documents"]
    paragraphs = result._extra["paragraphs"]
    per_doc = documents.select("doc", "source", F.octet_length("text").alias("bytes"))
    counts = paragraphs.groupBy("doc").agg(F.count(F.lit(1)).alias("paragraphs"))
    base = (
        per_doc.join(counts, "doc", "left")
        .groupBy("source")
        .agg(
            F.count(F.lit(1)).alias("documents"),
            F.coalesce(F.sum("paragraphs"), F.lit(0)).alias("paragraphs"),
            F.sum("bytes").alias("bytes"),
        )
    )
    repeats = (
        result.members.where(~F.col("is_canonical"))
        .groupBy("source")
        .agg(
            F.count(F.lit(1)).alias("duplicate_paragraphs"),
            F.sum(F.col("end") - F.col("start")).alias("duplicate_bytes"),
        )
    )
    rows = base.join(repeats, base["source"].eqNullSafe(repeats["source"]), "left").select(
        base["source"], "documents", "paragraphs", "bytes", "duplicate_paragraphs", "duplicate_bytes"
    )
    out = []
    for r in rows.collect():
        dp, db = int(r["duplicate_paragraphs"] or 0), int(r["duplicate_bytes"] or 0)
        p, b = int(r["paragraphs"]), int(r["bytes"] or 0)
        out.append(
            {
                "source": r["source"],
                "documents": int(r["documents"]),
                "paragraphs": p,
                "duplicate_paragraphs": dp,
                "duplicate_ratio": round(dp / p * 1e6) / 1e6 if p else 0.0,
                "bytes": b,
                "duplicate_bytes": db,
                "duplicate_byte_ratio": round(db / b * 1e6) / 1e6 if b else 0.0,
            }
        )
    if all(s["source"] is None for s in out):
        return []
    return sorted(out, key=lambda s: (s["source"] is None, s["source"] or ""))


# --- The command -------------------------------------------------------------------------------


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m paradup.spark scan INPUT... [--json report.json] [--members members.parquet]``;
    ``spark-submit`` runs the same with ``spark-submit .../paradup/spark.py scan ...``."""
    parser = argparse.ArgumentParser(
        prog="paradup.spark", description="paradup's scan on Apache Spark"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("scan", help="find repeated paragraphs in Parquet or JSON Lines")
    command.add_argument("inputs", nargs="+", help="files or folders (local paths or Hadoop URIs)")
    command.add_argument("--format", choices=["parquet", "json"], help="default: from the names")
    command.add_argument("--json", help="write the JSON report (paradup.report/v1) here")
    command.add_argument("--json-members", choices=["all", "canonical", "none"], default="all")
    command.add_argument("--members", help="write the members table (Parquet folder) here")
    command.add_argument(
        "--clusters",
        help="write the clusters (id, kind, documents, size, duplicate_bytes, text) as a Parquet "
        "folder here: without --json, nothing is gathered on the driver",
    )
    command.add_argument("--text-field", default="text")
    command.add_argument("--id-field", default="id")
    command.add_argument("--source-field")
    command.add_argument("--threshold", type=float, default=0.8)
    command.add_argument("--ngram", type=int, default=3)
    command.add_argument("--num-perm", type=int, default=128)
    command.add_argument("--min-words", type=int, default=10)
    command.add_argument("--split", default="auto")
    command.add_argument("--unit", default="paragraph")
    command.add_argument(
        "--containment",
        type=float,
        help="also join a paragraph lying at least this share inside a longer one (as paradup "
        "scan --containment)",
    )
    command.add_argument("--bands", type=int)
    command.add_argument("--rows", type=int)
    command.add_argument("--master", help="Spark master when not run by spark-submit, e.g. local[*]")
    command.add_argument(
        "--shuffle-partitions",
        type=int,
        help="spark.sql.shuffle.partitions (Spark's default is 200: on one machine, 2 to 4 a core)",
    )
    args = parser.parse_args(argv)

    from pyspark.sql import SparkSession

    # A session already running (a notebook, a test) is used and left running.
    spark = SparkSession.getActiveSession()
    started_here = spark is None
    if spark is None:
        builder = SparkSession.builder.appName("paradup scan")
        if args.master:
            builder = builder.master(args.master)
        spark = builder.getOrCreate()
    if args.shuffle_partitions:
        spark.conf.set("spark.sql.shuffle.partitions", str(args.shuffle_partitions))
    try:
        documents = read(
            spark,
            args.inputs,
            text_col=args.text_field,
            id_col=args.id_field,
            source_col=args.source_field,
            format=args.format,
        )
        result = scan(
            documents,
            "text",
            "id",
            "source" if args.source_field else None,
            order_col="order",
            location_col="location",
            threshold=args.threshold,
            ngram=args.ngram,
            num_perm=args.num_perm,
            min_words=args.min_words,
            split=args.split,
            unit=args.unit,
            containment=args.containment,
            bands=args.bands,
            rows=args.rows,
        )
        if args.members:
            result.write_members(args.members)
        if args.clusters:
            result.write_clusters(args.clusters)
        if args.json:
            report = result.report(args.json_members)
            text = json.dumps(report, ensure_ascii=False, separators=(",", ":"))
            _write_atomically(args.json, text.encode("utf-8"))
        s = result.summary.first().asDict()
        print(
            f"{s['documents']} documents, {s['paragraphs']} paragraphs, "
            f"{s['duplicate_paragraphs']} duplicate ({s['duplicate_ratio']:.2%}), "
            f"{s['within_document_clusters'] + s['cross_document_clusters']} clusters",
            file=sys.stderr,
        )
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    finally:
        if started_here:
            spark.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
