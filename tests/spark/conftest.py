"""One local Spark session (two cores) for the whole Spark test run, and the planted corpus."""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))


@pytest.fixture(scope="session")
def spark():
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("paradup tests")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="session")
def corpus_folder(tmp_path_factory):
    import corpus

    folder = tmp_path_factory.mktemp("corpus")
    corpus.write_jsonl_shards(corpus.generate(), str(folder), shards=3)
    return str(folder)


@pytest.fixture(scope="session")
def command_report(corpus_folder):
    """The report of the command's scan (``paradup.scan`` of the same files runs the command's
    reader and scanner)."""
    import paradup

    return paradup.scan(corpus_folder, source_field="source").to_dict()
