#!/usr/bin/env bash
# Bug-catalogue audit (issue 5, "Misses (power)"): runs every deliberately wrong sampler, draw
# post-processing and closed form of tests/bug_catalogue.rs through the suite's real check
# (stats::gaussian_moment_test against the exact law at alpha = 1e-6), then the wrong variants of
# the adaptive samplers (psgld-rmsprop, sgfs-online, stochastic-ngd) of
# tests/bug_catalogue_adaptive.rs through the checks of tests/adaptive.rs and
# tests/stochastic_ngd.rs, then the wrong variants of sgnht (tests/bug_catalogue_sgnht.rs, judged
# by the posterior-with-tolerance check), and prints, in markdown, which are caught, then the acceptance tables
# of the correct counterparts.
#
# Usage: scripts/bug-catalogue.sh            (committed seeds)
#        SGBAYES_SEED_OFFSET=k scripts/bug-catalogue.sh   (the k-th fresh seed set)
# Exit status: non-zero if either file fails (a visible bug is missed, an entry below resolution
# or a correct sampler is rejected). About 40-70 s of wall time on the shared 2-core machine after the build
# (both files single-threaded).
set -euo pipefail
cd "$(dirname "$0")/.."
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
for file in bug_catalogue bug_catalogue_adaptive bug_catalogue_sgnht; do
  file_status=0
  cargo test --release --test "$file" -- --nocapture --test-threads 1 >"$log" 2>&1 || file_status=$?
  # The tables (markdown headings and rows), without cargo's own lines.
  grep -E '^(## |\||$)' "$log" | cat -s
  grep -E '^test result' "$log" || true
  if [ "$file_status" -ne 0 ]; then
    echo "bug catalogue ($file) FAILED (full log below)" >&2
    cat "$log" >&2
    status=$file_status
  fi
done
exit "$status"
