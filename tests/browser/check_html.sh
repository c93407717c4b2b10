#!/usr/bin/env bash
# Browser test of the HTML report: renders the bundled data's report with the binary of the `ci`
# profile (PARADUP_PROFILE chooses another; PARADUP_BIN names a binary already built instead),
# loads it in headless Chromium (installed from Debian's packages if missing), and fails if the
# page's script does not run to its end, reports an error, or is refused by the page's own
# Content-Security-Policy, or if the filters show the wrong clusters. Ends with a screenshot.
#
#   tests/browser/check_html.sh [SCREENSHOT.png]     (docs/report.png is made this way)
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v chromium >/dev/null 2>&1; then
    apt-get update
    apt-get install -y chromium
fi

if [ -n "${PARADUP_BIN:-}" ]; then
    bin="$PARADUP_BIN"
else
    profile="${PARADUP_PROFILE:-ci}"
    cargo build --profile "$profile" --quiet
    bin="${CARGO_TARGET_DIR:-target}/$profile/paradup"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
screenshot="${1:-$work/report.png}"
"$bin" scan data/ --html "$work/report.html" --quiet

chromium_run() {
    local profile
    profile="$(mktemp -d "$work/profile.XXXXXX")"
    timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
        --disable-component-update --disable-sync --no-first-run --no-default-browser-check \
        --user-data-dir="$profile" --enable-logging=stderr --v=0 "$@"
}

failures=0
fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# Loads the report with the fragment $1 and checks that the script ran cleanly, that $2
# clusters are shown and, if $3 is given, that cluster $3 comes first.
check() {
    local fragment="$1" expected="$2" first="${3:-}" dom="$work/dom.html" log="$work/chromium.log"
    local before=$failures
    chromium_run --dump-dom "file://$work/report.html#$fragment" >"$dom" 2>"$log" ||
        fail "#$fragment: chromium exited with status $?"
    if grep -q 'data-state="error"' "$dom"; then
        fail "#$fragment: $(grep -o 'data-state="error"[^>]*>[^<]*' "$dom" | sed 's/.*>//')"
    elif ! grep -q 'data-state="ready"' "$dom"; then
        fail "#$fragment: the page's script did not run to its end"
    fi
    if grep -E 'Uncaught|violates the following Content Security Policy' "$log" >&2; then
        fail "#$fragment: the browser reported the errors above"
    fi
    local shown
    shown="$(grep -o 'data-shown="[0-9]*"' "$dom" | grep -o '[0-9]\+' || true)"
    if [ "$shown" != "$expected" ]; then
        fail "#$fragment: $shown clusters shown, expected $expected"
    fi
    if [ "$expected" = 0 ] && ! grep -q '<p id="no-match" class="empty">' "$dom"; then
        fail "#$fragment: no 'No cluster matches' message"
    fi
    if [ -n "$first" ]; then
        local top
        top="$(grep -o '<article class="cluster" [^>]*>' "$dom" | grep -v ' hidden' | head -n 1 |
            grep -o 'id="c-[0-9]*"' | grep -o '[0-9]\+' || true)"
        [ "$top" = "$first" ] || fail "#$fragment: cluster $top comes first, expected $first"
    fi
    if [ "$failures" -eq "$before" ]; then
        echo "ok: #$fragment shows $expected clusters${first:+, #$first first}"
    fi
}

# Expected counts are those of the bundled data (12 clusters: 6 across documents, 6 within one;
# cluster 10 is the one near copy; cluster 8, the disclaimer, has the most copies and bytes).
check "" 12 8
check "kind=within_document" 6
check "kind=cross_document&sort=input" 6 0
check "sort=similarity" 12 10
check "near=1" 1 10
check "q=disclaimer" 1 7
check "q=menafn+warranty&kind=cross_document" 1 8
check "q=000_f1f90f2143f892f6&kind=within_document" 5
check "q=000_f1f90f2143f892f6" 10
check "q=no-such-words-anywhere" 0

# The screenshot shows the near-copy filter, so that the side-by-side comparison is in view.
chromium_run --screenshot="$screenshot" --window-size=1280,2000 \
    "file://$work/report.html#near=1" >/dev/null 2>"$work/chromium.log" ||
    fail "screenshot: chromium exited with status $?"
if [ "$(head -c 4 "$screenshot" 2>/dev/null | od -An -c | tr -d ' ')" != "211PNG" ] ||
    [ "$(wc -c <"$screenshot")" -lt 20000 ]; then
    fail "screenshot: $screenshot is not a full PNG"
else
    echo "ok: screenshot $screenshot ($(wc -c <"$screenshot") bytes)"
fi

if [ "$failures" -ne 0 ]; then
    echo "browser test: $failures failed" >&2
    exit 1
fi
echo "browser test: all checks passed"
