"""What passing texts to paradup's Python module costs: 100,000 short strings as a Python list
against the same strings as an Arrow table, timed inside one process (the scan call only; the
inputs are built before the clock starts). Appends the medians to benches/RESULTS.md.

usage: python benches/python_inputs.py [RUNS]   (with the module installed: pip install ./python)
"""

import datetime
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import pyarrow as pa

import paradup

WORDS = (
    "river harbour lantern council winter ferry market school bridge garden village station "
    "museum festival library hospital tower road meadow forest valley island coast mountain"
).split()


def short_strings(count=100_000, seed=1):
    rng = random.Random(seed)
    pool = [" ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 20))) for _ in range(20_000)]
    return [rng.choice(pool) if rng.random() < 0.4 else
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 20))) for _ in range(count)]


def median_seconds(call, runs):
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), min(times), max(times)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    texts = short_strings()
    table = pa.table({"text": texts})
    as_list = median_seconds(lambda: paradup.scan(texts), runs)
    as_arrow = median_seconds(lambda: paradup.scan(table), runs)
    summary = paradup.scan(texts).summary
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = [
        f"\n## Python inputs: a list against Arrow, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC\n",
        f"Machine: {os.cpu_count()} cores, {cpu}, {platform.platform()}. Command: "
        f"`python benches/python_inputs.py {runs}`; 100,000 strings of 4 to 20 words "
        f"({sum(map(len, texts)):,} bytes, {summary['duplicate_paragraphs']:,} duplicates), "
        f"the scan call timed, median of {runs} (min-max).\n",
        "| input | seconds | [min-max] |",
        "|---|---|---|",
        f"| list of str | {as_list[0]:.3f} | [{as_list[1]:.3f}-{as_list[2]:.3f}] |",
        f"| pyarrow table | {as_arrow[0]:.3f} | [{as_arrow[1]:.3f}-{as_arrow[2]:.3f}] |",
        f"\nThe list costs {as_list[0] / as_arrow[0]:.2f}x the Arrow table (target: under 2x).\n",
    ]
    text = "\n".join(lines)
    print(text)
    results = Path(__file__).resolve().parent / "RESULTS.md"
    with open(results, "a") as out:
        out.write(text)


if __name__ == "__main__":
    main()
