#!/usr/bin/env bash
# Contamination benchmark: index a generated reference corpus (default 1 GB) by word n-grams, save
# the index, and measure a 10 MB test set against it, once from the reference files and once from
# the saved index. 100 test items carry a planted reference passage (hard-wrapped differently, one
# word changed in half of them); the script checks that every one is found.
#
#   benches/contamination.sh [REFERENCE_BYTES]      (WORK=DIR keeps the files there)
#
# Prints: reference words and n-grams, index bytes (file and per n-gram), the time and peak RSS of
# each run, the load time of the saved index alone, and the query throughput.
set -euo pipefail
cd "$(dirname "$0")/.."
size="${1:-1000000000}"
work="${WORK:-$(mktemp -d)}"
mkdir -p "$work"

cargo build --release --quiet --bin paradup --example generate
bin=target/release/paradup
generate=target/release/examples/generate

[ -s "$work/ref.jsonl" ] || "$generate" --bytes "$size" --seed 3 --out "$work/ref.jsonl" >/dev/null
"$generate" --bytes 10000000 --seed 9 --out "$work/test.plain.jsonl" >/dev/null
python3 - "$work" <<'EOF'
import json, random, sys, textwrap
work = sys.argv[1]
rng = random.Random(5)
with open(f"{work}/ref.jsonl") as f:
    refs = [json.loads(next(f)) for _ in range(20000)]
items = [json.loads(line) for line in open(f"{work}/test.plain.jsonl")]
planted = []
for n, i in enumerate(rng.sample(range(len(items)), 100)):
    ref = rng.choice(refs)
    paragraphs = [p for p in ref["text"].split("\n") if len(p.split()) >= 30]
    if not paragraphs:
        paragraphs = [ref["text"]]
    passage = rng.choice(paragraphs)
    words = passage.split()
    if n % 2:
        words[len(words) // 2] = "zebra"
    passage = textwrap.fill(" ".join(words), 50)
    items[i]["text"] += "\n\n" + passage
    planted.append((items[i]["id"], " ".join(words)))
with open(f"{work}/test.jsonl", "w") as f:
    for item in items:
        f.write(json.dumps(item) + "\n")
json.dump(planted, open(f"{work}/planted.json", "w"))
EOF
head -n 1 "$work/test.jsonl" > "$work/one.jsonl"

timed() {
    /usr/bin/time -f "%e %M" -o "$work/time" "$@"
    read -r seconds kib < "$work/time"
    echo "$seconds s, peak $((kib / 1024)) MiB"
}
echo "date: $(date -u '+%Y-%m-%d %H:%M UTC'); machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "reference: $(stat -c %s "$work/ref.jsonl") bytes; test set: $(stat -c %s "$work/test.jsonl") bytes"
echo "build + query:  $(timed "$bin" compare "$work/test.jsonl" --reference "$work/ref.jsonl" --save-reference-index "$work/ref.idx" --json "$work/build.json" -q)"
echo "load only:      $(timed "$bin" compare "$work/one.jsonl" --reference-index "$work/ref.idx" -q)"
echo "load + query:   $(timed "$bin" compare "$work/test.jsonl" --reference-index "$work/ref.idx" --json "$work/query.json" -q)"
python3 - "$work" <<'EOF'
import json, os, sys
work = sys.argv[1]
build = json.load(open(f"{work}/build.json"))
query = json.load(open(f"{work}/query.json"))
r = build["reference"]
size = os.path.getsize(f"{work}/ref.idx")
print(f"reference: {r['documents']} documents, {r['words']} words, {r['ngrams']} n-grams; "
      f"index file {size} bytes ({size / r['ngrams']:.1f} bytes an n-gram), "
      f"in memory {r['index_bytes']} bytes ({r['index_bytes'] / r['words']:.1f} bytes a word)")
for report in (build, query):
    report["timing"] = None
print("saved index gives the same report:", build == query)
planted = json.load(open(f"{work}/planted.json"))
items = {i["doc"]: i for i in query["items"]}
def words(text):
    return "".join(c.lower() if c.isalnum() else " " for c in text).split()
def found_in(item, passage):
    # The planted passage (its words, the changed one included) lies inside one matched span.
    want = " ".join(words(passage))
    return any(want in " ".join(words(span["text"])) for span in items[item]["spans"])
found = sum(1 for item, passage in planted if found_in(item, passage))
s = query["summary"]
print(f"planted leaks found: {found} of {len(planted)}; items {s['items']}, with a match {s['items_with_match']}, "
      f"dirty {s['dirty']}, partial {s['partial']}, clean {s['clean']}")
EOF
