#!/usr/bin/env bash
# Suite-level false-alarm audit: rerun every statistical test file of the suite under K fresh seed
# sets (SGBAYES_SEED_OFFSET=1..K) on the current (correct) code and count failing runs.
#
# Usage: scripts/audit-suite-reseed.sh [K=50] [test files...]
# Prints one line per reseed and a summary with a 95% upper bound on the per-reseed false-fail rate
# (rule of three when no run fails: 3/K).
set -uo pipefail
cd "$(dirname "$0")/.."
K=${1:-50}
shift || true
TESTS=${*:-sampler_laws stats sampler_theory}
args=()
for t in $TESTS; do
  [ -f "tests/$t.rs" ] && args+=(--test "$t")
done
cargo test --release --no-run "${args[@]}" >/dev/null 2>&1
failed=0
for k in $(seq 1 "$K"); do
  if SGBAYES_SEED_OFFSET=$k cargo test --release -q "${args[@]}" >/tmp/sgbayes-reseed-$k.log 2>&1; then
    echo "reseed $k: pass"
  else
    echo "reseed $k: FAIL (log /tmp/sgbayes-reseed-$k.log)"
    failed=$((failed + 1))
  fi
done
python3 - "$K" "$failed" <<'PY'
import sys
k, f = int(sys.argv[1]), int(sys.argv[2])
# exact one-sided 95% Clopper-Pearson upper bound
from math import comb
def tail(p):  # P(X <= f | p)
    return sum(comb(k, i) * p**i * (1 - p)**(k - i) for i in range(f + 1))
lo, hi = 0.0, 1.0
for _ in range(100):
    mid = (lo + hi) / 2
    if tail(mid) > 0.05: lo = mid
    else: hi = mid
print(f"{f}/{k} reseeds failed; 95% upper bound on the per-reseed false-fail rate: {hi:.4f}")
PY
