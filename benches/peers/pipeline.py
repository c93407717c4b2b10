"""The paragraph-dedup pipeline a user would write around a Python MinHash library.

Same steps and parameters as `paradup scan --split line`: one paragraph a line; NFKC, lowercase,
apostrophes dropped, other punctuation to spaces, whitespace collapsed; identical normalized
paragraphs collapsed first; paragraphs of at least 10 words; lowercase word 3-grams; 128 hashes;
LSH with 16 bands x 8 rows; candidates verified by exact Jaccard >= 0.8; union-find.

usage: python pipeline.py {datasketch,rensa,gaoya} CORPUS.jsonl
Prints one JSON line of counts, so the tools' results can be compared with paradup's.
"""

import json
import re
import sys
import unicodedata

NUM_PERM, BANDS, ROWS, THRESHOLD, MIN_WORDS, NGRAM = 128, 16, 8, 0.8, 10, 3
APOSTROPHES = re.compile(r"['\u2019\u2018\u02bc`]")
SEPARATORS = re.compile(r"[\W_]+")


def normalize(text):
    text = unicodedata.normalize("NFKC", text).lower()
    return " ".join(SEPARATORS.sub(" ", APOSTROPHES.sub("", text)).split())


def shingles(normalized):
    words = normalized.split(" ")
    if len(words) <= NGRAM:
        return {normalized}
    return {" ".join(words[i : i + NGRAM]) for i in range(len(words) - NGRAM + 1)}


def candidates_datasketch(sets):
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(num_perm=NUM_PERM, params=(BANDS, ROWS))
    hashes = MinHash.bulk([[s.encode() for s in shingle_set] for shingle_set in sets], num_perm=NUM_PERM, seed=1)
    with lsh.insertion_session() as session:
        for i, minhash in enumerate(hashes):
            session.insert(i, minhash)
    for i, minhash in enumerate(hashes):
        for j in lsh.query(minhash):
            if j > i:
                yield i, j


def candidates_rensa(sets):
    from rensa import RMinHash, RMinHashLSH

    hashes = RMinHash.from_token_sets([list(s) for s in sets], NUM_PERM, 42)
    lsh = RMinHashLSH(THRESHOLD, NUM_PERM, BANDS)
    lsh.insert_many(hashes)
    for i, found in enumerate(lsh.query_all(hashes)):
        for j in found:
            if j > i:
                yield i, j


def candidates_gaoya(texts):
    import gaoya

    index = gaoya.minhash.MinHashStringIndex(
        hash_size=32,
        jaccard_threshold=THRESHOLD,
        num_bands=BANDS,
        band_size=ROWS,
        analyzer="word",
        lowercase=False,
        ngram_range=(NGRAM, NGRAM),
        id_container="vec",
    )
    index.par_bulk_insert_docs(list(range(len(texts))), texts)
    for i, found in enumerate(index.par_bulk_query(texts)):
        for j in found:
            if j > i:
                yield i, j


def main():
    tool, path = sys.argv[1], sys.argv[2]
    distinct = {}
    paragraphs = 0
    with open(path, encoding="utf-8") as corpus:
        for line in corpus:
            text = json.loads(line)["text"]
            for raw in text.split("\n"):
                normalized = normalize(raw)
                if normalized:
                    paragraphs += 1
                    distinct.setdefault(normalized, len(distinct))
    near = [p for p in distinct if len(p.split(" ")) >= MIN_WORDS]
    sets = [shingles(p) for p in near]
    if tool == "datasketch":
        pairs = candidates_datasketch(sets)
    elif tool == "rensa":
        pairs = candidates_rensa(sets)
    elif tool == "gaoya":
        pairs = candidates_gaoya(near)
    else:
        raise SystemExit(f"unknown tool {tool}")

    parent = list(range(len(near)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    candidates = verified = 0
    for i, j in pairs:
        candidates += 1
        a, b = sets[i], sets[j]
        if len(a & b) / len(a | b) >= THRESHOLD:
            verified += 1
            ri, rj = find(i), find(j)
            if ri != rj:
                parent[max(ri, rj)] = min(ri, rj)
    near_groups = len({find(i) for i in range(len(near))})
    print(json.dumps({
        "tool": tool,
        "paragraphs": paragraphs,
        "distinct": len(distinct),
        "near_tier": len(near),
        "candidates": candidates,
        "verified": verified,
        "near_groups": near_groups,
    }))


if __name__ == "__main__":
    main()
