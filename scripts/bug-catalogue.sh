#!/usr/bin/env bash
# Bug-catalogue audit (issue 5, "Misses (power)"): runs every deliberately wrong sampler, draw
# post-processing and closed form of tests/bug_catalogue.rs through the suite's real check
# (stats::gaussian_moment_test against the exact law at alpha = 1e-6) and prints, in markdown,
# which are caught, then the acceptance table of the correct counterparts.
#
# Usage: scripts/bug-catalogue.sh            (committed seeds)
#        SGBAYES_SEED_OFFSET=k scripts/bug-catalogue.sh   (the k-th fresh seed set)
# Exit status: that of the tests (non-zero if a visible bug is missed or a correct sampler is
# rejected). About 15-20 s of wall time on 2 cores after the build.
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
cargo test --release --test bug_catalogue -- --nocapture --test-threads 1 >"$log" 2>&1 || status=$?
# The tables (markdown headings and rows), without cargo's own lines.
grep -E '^(## |\||$)' "$log" | cat -s
grep -E '^test result' "$log" || true
if [ "$status" -ne 0 ]; then
  echo "bug catalogue FAILED (full log below)" >&2
  cat "$log" >&2
fi
exit "$status"
