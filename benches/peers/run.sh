#!/usr/bin/env bash
# Times whole runs of paradup and of the pipelines users build on datasketch, rensa and gaoya, on
# the same generated corpus, and appends medians and ratios to benches/RESULTS.md.
#
# usage: benches/peers/run.sh [SIZE_BYTES ...]      (default: 30000000)
# env:   RUNS (default 5), PEERS (default "datasketch rensa gaoya"; empty to time paradup alone),
#        PYTHON_MODULE (default 1: also time paradup's Python module, built into the venv)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
sizes=("${@:-30000000}")
runs=${RUNS:-5}
peers=${PEERS-datasketch rensa gaoya}
work="$root/target/peers"
mkdir -p "$work"

python_module=${PYTHON_MODULE:-1}
if { [ -n "$peers" ] || [ "$python_module" = 1 ]; } && [ ! -x "$work/venv/bin/python" ]; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install --quiet datasketch==2.0.0 rensa==0.5.0 gaoya==0.2.2
fi
if [ "$python_module" = 1 ]; then
  # Release profile, as the command below and as `pip install ./python` builds it for users.
  "$work/venv/bin/pip" install --quiet ./python
fi
cargo build --release --quiet --bin paradup --example generate --example floor
bin="$root/target/release"

# Runs a command RUNS times; prints "median_seconds median_peak_kib".
measure() {
  local walls=() rss=()
  for _ in $(seq "$runs"); do
    /usr/bin/time -f "%e %M" -o "$work/time.txt" "$@" >"$work/out.txt" 2>"$work/err.txt" ||
      { echo "failed: $*" >&2; cat "$work/err.txt" >&2; exit 1; }
    read -r wall kib <"$work/time.txt"
    walls+=("$wall"); rss+=("$kib")
  done
  python3 - "${walls[*]}" "${rss[*]}" <<'PY'
import statistics, sys
walls = [float(x) for x in sys.argv[1].split()]
rss = [int(x) for x in sys.argv[2].split()]
print(f"{statistics.median(walls):.3f} {int(statistics.median(rss))} {min(walls):.3f} {max(walls):.3f}")
PY
}

results="$work/results.txt"
: >"$results"
for size in "${sizes[@]}"; do
  corpus="$work/corpus-$size.jsonl"
  [ -s "$corpus" ] || "$bin/examples/generate" --bytes "$size" --seed 1 --out "$corpus" >/dev/null
  actual=$(stat -c %s "$corpus")
  echo "corpus $size: $actual bytes" >&2
  read -r floor_s floor_kib floor_min floor_max < <(measure "$bin/examples/floor" --split line "$corpus")
  echo "$size floor $floor_s $floor_kib $floor_min $floor_max" >>"$results"
  read -r s kib lo hi < <(measure "$bin/paradup" scan "$corpus" --split line --bands 16 --rows 8 --quiet --json "$work/report.json")
  echo "$size paradup $s $kib $lo $hi" >>"$results"
  python3 -c "import json,sys; s=json.load(open(sys.argv[1]))['summary']; print(json.dumps({'tool':'paradup','paragraphs':s['paragraphs'],'distinct':s['distinct_paragraphs'],'candidates':s['candidate_pairs'],'verified':s['verified_pairs'],'duplicate_paragraphs':s['duplicate_paragraphs']}))" "$work/report.json" >"$work/counts-paradup-$size.json"
  if [ "$python_module" = 1 ]; then
    read -r s kib lo hi < <(measure "$work/venv/bin/python" benches/peers/paradup_py.py "$corpus")
    echo "$size paradup-python $s $kib $lo $hi" >>"$results"
    cp "$work/out.txt" "$work/counts-paradup-python-$size.json"
  fi
  for peer in $peers; do
    read -r s kib lo hi < <(measure "$work/venv/bin/python" benches/peers/pipeline.py "$peer" "$corpus")
    echo "$size $peer $s $kib $lo $hi" >>"$results"
    cp "$work/out.txt" "$work/counts-$peer-$size.json"
  done
done

python3 - "$results" "$runs" <<'PY' >>benches/RESULTS.md
import datetime, os, platform, subprocess, sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
runs = sys.argv[2]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
mem = next((l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal")), "?")
print(f"\n## Peers, {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC\n")
print(f"Machine: {os.cpu_count()} cores, {cpu}, {int(mem)//1024} MiB memory, {platform.platform()}.")
print(f"Command: `benches/peers/run.sh {' '.join(sorted({r[0] for r in rows}, key=int))}` "
      f"(RUNS={runs}); whole-process wall time and peak RSS from /usr/bin/time, median of {runs} runs (min-max in brackets).\n")
print("| corpus bytes | tool | wall s (median) | [min-max] | peak RSS MiB | paradup speed-up |")
print("|---|---|---|---|---|---|")
by_size = {}
for size, tool, s, kib, lo, hi in rows:
    by_size.setdefault(size, {})[tool] = (float(s), int(kib), lo, hi)
for size, tools in by_size.items():
    ours = tools["paradup"][0]
    for tool, (s, kib, lo, hi) in tools.items():
        ratio = "" if tool in ("paradup", "floor") else f"{s / ours:.1f}x"
        if tool == "paradup-python":
            ratio = f"Python / command = {s / ours:.2f}"
        if tool == "floor":
            ratio = f"scan / floor = {ours / s:.2f}"
        print(f"| {size} | {tool} | {s:.3f} | [{lo}-{hi}] | {kib / 1024:.0f} | {ratio} |")
PY
{
  echo
  echo "What each tool found (same paragraphs in, so the same work is done):"
  echo
  for size in "${sizes[@]}"; do
    for f in "$work"/counts-*-"$size".json; do echo "    $(cat "$f")"; done
  done
} >>benches/RESULTS.md
echo "appended to benches/RESULTS.md" >&2
