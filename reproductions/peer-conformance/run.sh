#!/usr/bin/env bash
# Conformance of other libraries' SG-MCMC samplers: run blackjax's, SGMCMCJax's and jax-sgmc's samplers on
# problems exported by `sgbayes problem`, map each one's parameters to sgbayes flags, and check the
# draws with `sgbayes check` against the exact stationary law of the mapped sampler.
# Writes README.md (the table between its markers), results.csv and results.json next to this file.
#
#   bash reproductions/peer-conformance/run.sh                  # installs, runs, writes (≈ 4 min)
#   SKIP_INSTALL=1 bash reproductions/peer-conformance/run.sh   # reuse the virtual environments
#   ONLY=sghmc bash reproductions/peer-conformance/run.sh       # only the cases whose name contains it
#   WRITE=0 ...                                                 # print the table, write nothing
#
# The libraries are installed with pip at run time into target/peer-conformance/ (never committed):
# blackjax 1.7.1 needs jax >= 0.9 and SGMCMCJax 0.2.13 needs jax 0.4.30 (it imports
# jax.experimental.host_callback, removed in later jax), so each gets its own environment; jax-sgmc
# 0.1.5 runs with jax 0.4.30 as well.
# Needs python3.11 (PYTHON to override), network access to PyPI, and cargo.
set -uo pipefail
export PYTHONDONTWRITEBYTECODE=1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PYTHON=${PYTHON:-python3.11}
WORK=${WORK:-$ROOT/target/peer-conformance}
SKIP_INSTALL=${SKIP_INSTALL:-0}
ONLY=${ONLY:-}
WRITE=${WRITE:-1}
BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/sgbayes

declare -A REQS=(
  [blackjax]='blackjax==1.7.1 jax[cpu] numpy'
  [sgmcmcjax]='sgmcmcjax==0.2.13 jax[cpu]==0.4.30 jaxlib==0.4.30 numpy<2'
  [jax-sgmc]='jax-sgmc==0.1.5 jax[cpu]==0.4.30 jaxlib==0.4.30 numpy<2'
)
LIBS=(blackjax sgmcmcjax jax-sgmc)

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
start=$(date +%s)
mkdir -p "$WORK"

for lib in "${LIBS[@]}"; do
  venv=$WORK/venv-$lib
  if [ "$SKIP_INSTALL" = 1 ] && [ -x "$venv/bin/python" ]; then
    log "$lib: reusing $venv"
    continue
  fi
  log "$lib: installing ${REQS[$lib]} into $venv"
  rm -rf "$venv"
  read -r -a reqs <<< "${REQS[$lib]}"
  if "$PYTHON" -m venv "$venv" && "$venv/bin/pip" install -q "${reqs[@]}" > "$WORK/install-$lib.log" 2>&1; then
    "$venv/bin/pip" freeze > "$WORK/freeze-$lib.txt"
  else
    log "$lib: install FAILED (see $WORK/install-$lib.log); its cases are skipped"
    rm -rf "$venv"
  fi
done

log "cargo build --release"
(cd "$ROOT" && cargo build --release --quiet) || { log "cargo build --release FAILED"; exit 1; }

# Problems: a Bayesian linear regression (d = 2, N = 100) and a Gaussian mean (d = 1, N = 20:
# every example's feature is 1, so the minibatch noise does not depend on θ).
PROB=$WORK/problems
mkdir -p "$PROB"
"$BIN" problem linear-regression --dim 2 --data 100 --seed 1 > "$PROB/lr.json"
py=""
for lib in "${LIBS[@]}"; do [ -x "$WORK/venv-$lib/bin/python" ] && py=$WORK/venv-$lib/bin/python; done
[ -n "$py" ] || { log "no library installed: nothing to check"; exit 1; }
"$py" - "$PROB/gm.csv" <<'EOF'
import sys
import numpy as np
y = 1.0 + np.random.default_rng(1).standard_normal(20)
with open(sys.argv[1], "w") as f:
    f.write("x,y\n" + "".join(f"1,{v!r}\n" for v in y))
EOF
"$BIN" problem linear-regression --data-file "$PROB/gm.csv" > "$PROB/gm.json"

OUT=$WORK/out
rm -rf "$OUT"
for lib in "${LIBS[@]}"; do
  venv=$WORK/venv-$lib
  [ -x "$venv/bin/python" ] || continue
  log "$lib: running its samplers"
  "$venv/bin/python" "$HERE/peers.py" --library "$lib" --problems "$PROB" --out "$OUT" --only "$ONLY" \
    2> >(grep -v -i 'warning' >&2) || log "$lib: driver FAILED"
done

log "sgbayes theory / sample / check on the draws"
if [ "$WRITE" = 1 ] && [ -z "$ONLY" ]; then
  "$py" "$HERE/report.py" --bin "$BIN" --out "$OUT" --readme "$HERE/README.md" \
    --csv "$HERE/results.csv" --json "$OUT/results.json"
else
  "$py" "$HERE/report.py" --bin "$BIN" --out "$OUT" --json "$OUT/results.json"
fi
log "done in $(( $(date +%s) - start )) s"
