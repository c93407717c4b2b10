"""paradup's Python module on the peers' corpus, with the settings of `paradup scan --split line
--bands 16 --rows 8` (the peers' pipeline): the same engine called from Python.

usage: python paradup_py.py CORPUS.jsonl
Prints one JSON line of counts, as pipeline.py does for the other tools.
"""

import json
import sys

import paradup


def main():
    report = paradup.scan(sys.argv[1], split="line", bands=16, rows=8)
    s = report.summary
    print(json.dumps({
        "tool": "paradup-python",
        "paragraphs": s["paragraphs"],
        "distinct": s["distinct_paragraphs"],
        "candidates": s["candidate_pairs"],
        "verified": s["verified_pairs"],
        "duplicate_paragraphs": s["duplicate_paragraphs"],
    }))


if __name__ == "__main__":
    main()
