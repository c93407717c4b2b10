"""paradup.spark on a local Spark (local[N]) against the command on the same corpus.

Runs the command (``paradup scan``) with one thread and with N, then the Spark job on
``local[N]`` (read, scan, JSON report without member lists, members table), checks that both
find the same clusters, and prints the figures benches/RESULTS.md keeps: throughput per core,
Spark's shuffle bytes a paragraph (from its status store, per stage), where the time goes, and
the scale note for a billion paragraphs.

    .venv/bin/python benches/spark_scan.py CORPUS.jsonl --paradup target/ci/paradup --cores 2
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def run_command(binary: str, corpus: str, threads: int, out: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [binary, "scan", corpus, "--source-field", "source", "--threads", str(threads), "--json", out, "--quiet"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def memberships(report: dict) -> list:
    return sorted(
        sorted((m["doc_index"], m["paragraph"]) for m in c["members"]) for c in report["clusters"]
    )


def median_words(corpus: str) -> float:
    """Median words a paragraph (blank-line or line breaks: the corpus writes one a line)."""
    counts = []
    with open(corpus, encoding="utf-8") as lines:
        for line in lines:
            for paragraph in json.loads(line)["text"].split("\n"):
                words = len(paragraph.split())
                if words:
                    counts.append(words)
    return statistics.median(counts)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus")
    parser.add_argument("--paradup", default="target/ci/paradup")
    parser.add_argument("--cores", type=int, default=2)
    parser.add_argument("--shuffle-partitions", type=int, default=8)
    args = parser.parse_args()
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)

    work = tempfile.mkdtemp(prefix="paradup-spark-bench-")
    command_json = os.path.join(work, "command.json")
    command_seconds = {t: run_command(args.paradup, args.corpus, t, command_json) for t in (1, args.cores)}
    with open(command_json, encoding="utf-8") as f:
        command = json.load(f)

    from pyspark.sql import SparkSession

    import paradup.spark as paradup_spark

    spark = (
        SparkSession.builder.master(f"local[{args.cores}]")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", str(args.shuffle_partitions))
        .config("spark.driver.memory", "4g")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    context = spark.sparkContext
    started = time.perf_counter()
    documents = paradup_spark.read(spark, [args.corpus], source_col="source")
    result = paradup_spark.scan(documents, "text", "id", "source", order_col="order", location_col="location")
    result.write_members(os.path.join(work, "members.parquet"))
    report = result.report("none")
    spark_seconds = time.perf_counter() - started
    context.setJobDescription("paradup: check against the command")
    full = result.report("all")
    same = memberships(full) == memberships(command)
    # Where they part: paragraphs whose cluster (as a set of copies) is not the command's.
    theirs = {frozenset(map(tuple, c)) for c in memberships(command)}
    parted = sum(len(c) for c in memberships(full) if frozenset(map(tuple, c)) not in theirs)

    # Shuffle bytes and executor time per stage, from Spark's monitoring API (this machine's UI).
    import urllib.request

    context = spark.sparkContext
    api = f"{context.uiWebUrl}/api/v1/applications/{context.applicationId}"
    with urllib.request.urlopen(f"{api}/stages") as response:
        stages = {stage["stageId"]: stage for stage in json.load(response)}
    with urllib.request.urlopen(f"{api}/jobs") as response:
        jobs = json.load(response)
    shuffle_write = sum(stage.get("shuffleWriteBytes", 0) for stage in stages.values())
    by_step: dict = {}
    counted = set()
    for job in jobs:
        step = job.get("description", "other").split(":", 1)[-1].strip()
        entry = by_step.setdefault(step, [0.0, 0, 0])
        entry[2] += 1
        for stage_id in job.get("stageIds", []):
            stage = stages.get(stage_id)
            if stage is None or stage_id in counted:
                continue
            counted.add(stage_id)
            entry[0] += stage.get("executorRunTime", 0) / 1000.0
            entry[1] += stage.get("shuffleWriteBytes", 0)
    spark.stop()

    s = command["summary"]
    paragraphs = s["paragraphs"]
    size_mb = os.path.getsize(args.corpus) / 1e6
    print(f"corpus: {args.corpus}: {size_mb:.1f} MB, {s['documents']} documents, {paragraphs} paragraphs, "
          f"median {median_words(args.corpus)} words a paragraph, {s['duplicate_ratio']:.1%} of paragraphs duplicates")
    print(f"same clusters as the command: {same} ({len(full['clusters'])} clusters; "
          f"{parted} paragraphs in clusters the command does not have)")
    for threads, seconds in command_seconds.items():
        print(f"command, {threads} thread(s): {seconds:.2f} s, {paragraphs / seconds / threads:,.0f} paragraphs/s a core, "
              f"{size_mb / seconds / threads:.2f} MB/s a core")
    per_core = paragraphs / spark_seconds / args.cores
    print(f"spark local[{args.cores}]: {spark_seconds:.1f} s, {per_core:,.0f} paragraphs/s a core, "
          f"{size_mb / spark_seconds / args.cores:.3f} MB/s a core")
    print(f"shuffle written: {shuffle_write / 1e6:.1f} MB, {shuffle_write / paragraphs:.0f} bytes a paragraph")
    print(f"candidate pairs: {report['summary']['candidate_pairs']:,} (command: {s['candidate_pairs']:,})")
    print("executor time, shuffle bytes and jobs by step (the jobs' descriptions):")
    for step, (seconds, written, count) in sorted(by_step.items()):
        print(f"  {seconds:8.1f} s  {written / 1e6:8.1f} MB  {count:4d} jobs  {step}")
    billion = 1e9
    print(f"1 billion paragraphs at this rate: {billion / per_core / 3600:,.0f} executor-core hours, "
          f"{shuffle_write / paragraphs * billion / 1e12:.2f} TB shuffled")
    return 0


if __name__ == "__main__":
    sys.exit(main())
