#!/usr/bin/env python3
"""Writes a synthetic scraped-news corpus as gzipped JSON Lines, for measuring memory on large input.

Most paragraphs are drawn from a fixed pool (boilerplate and syndicated copy repeat across a real
crawl), a share are fresh; every record has an id, a source and nested metadata. Deterministic for a
given seed. Usage: gen_jsonl_gz.py OUT.jsonl.gz TARGET_MB [SEED]  (TARGET_MB counts uncompressed text)
"""
import gzip
import json
import random
import sys


def main():
    out, target_mb = sys.argv[1], float(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 7)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choices(letters, k=rng.randint(2, 11))) for _ in range(20000)]

    def paragraph():
        words = rng.choices(vocab, k=rng.randint(30, 120))
        words[0] = words[0].capitalize()
        return " ".join(words) + "."

    pool = [paragraph() for _ in range(30000)]
    sources = [f"site{n:03d}.example" for n in range(200)]
    target = int(target_mb * 1e6)
    written = 0
    n = 0
    with gzip.open(out, "wt", compresslevel=6, encoding="utf-8") as f:
        while written < target:
            paras = [
                paragraph() if rng.random() < 0.05 else rng.choice(pool)
                for _ in range(rng.randint(3, 12))
            ]
            text = "\n\n".join(paras)
            record = {
                "id": f"doc-{n:08d}",
                "meta": {"source": rng.choice(sources), "lang": "en"},
                "text": text,
            }
            f.write(json.dumps(record) + "\n")
            written += len(text)
            n += 1
    print(f"{out}: {n} documents, {written / 1e6:.1f} MB of text", file=sys.stderr)


if __name__ == "__main__":
    main()
