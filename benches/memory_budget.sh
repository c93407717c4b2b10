#!/usr/bin/env bash
# Times a scan of CORPUS in memory and under --memory BUDGET, PAIRS times each, and checks that the
# two JSON reports are the same but for their run time and that the spill folder is left empty.
#
#   benches/memory_budget.sh CORPUS BUDGET [PAIRS] [PARADUP]
#
# Prints, a line a run: load average, wall s, user s, sys s, peak RSS KiB (/usr/bin/time).
set -euo pipefail
corpus=$1
budget=$2
pairs=${3:-3}
paradup=${4:-target/ci/paradup}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/spill"
t() { /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -1; }
echo "$(date -u '+%Y-%m-%d %H:%M:%S UTC') $(nproc) cores, $corpus, --memory $budget"
for _ in $(seq "$pairs"); do
  echo "load $(cut -d' ' -f1 /proc/loadavg) in memory: $(t "$paradup" scan "$corpus" --json "$work/a.json" -q)"
  echo "load $(cut -d' ' -f1 /proc/loadavg) --memory $budget: $(t "$paradup" scan "$corpus" --json "$work/b.json" -q --memory "$budget" --tmp-dir "$work/spill")"
done
python3 "$(dirname "$0")/same_report.py" "$work/a.json" "$work/b.json"
echo "spill folder after: $(ls "$work/spill" | wc -l) entries"
