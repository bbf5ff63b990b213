#!/usr/bin/env bash
# Mutation testing of the oracle and the samplers (issue 5): cargo-mutants over src/samplers,
# src/theory and src/stats, judged by the mathematical test files only.
#
# Usage: scripts/mutants-sample.sh [SHARD=0] [SHARDS=20]
#   runs shard SHARD of SHARDS, dealt round-robin over cargo-mutants' sorted list (mutant i goes to
#   shard i mod SHARDS), so one shard is a systematic sample of about 1/SHARDS of all mutants of
#   every file; SHARDS=1 is the full run (4127 mutants: days on 2 cores). Results: target/mutants/shard-SHARD-of-SHARDS/mutants.out
#   (caught.txt, missed.txt, timeout.txt, unviable.txt) and a one-line score on stdout.
#
# The golden-bit tests (determinism, parallel, reproductions' snapshots) and the CLI tests are
# left out on purpose: they would "catch" any arithmetic change without saying whether the
# mathematics is checked; the score measures the power of the statistical and closed-form tests.
# cargo test stops at the first failing test binary, so a caught mutant costs seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARD=${1:-0}
SHARDS=${2:-20}
OUT=target/mutants/shard-$SHARD-of-$SHARDS
mkdir -p "$OUT"
command -v cargo-mutants >/dev/null || cargo install cargo-mutants --locked
TESTS=(--lib --test probe --test theory --test sampler_laws --test sampler_theory --test reshuffle
  --test stats --test adaptive --test stochastic_ngd --test bug_catalogue --test deep_linear
  --test teacher_student --test nonequilibrium --test mean_field --test logistic_regression
  --test robustness)
# No debug info: it only slows the opt-level-3 test builds that every mutant repeats.
export CARGO_PROFILE_TEST_DEBUG=false CARGO_PROFILE_DEV_DEBUG=false
cargo mutants --no-shuffle --sharding round-robin --baseline skip -f 'src/samplers/*.rs' -f src/dense_cholesky.rs -f 'src/theory/*.rs' -f 'src/stats/*.rs' \
  --shard "$SHARD/$SHARDS" --timeout 300 --output "$OUT" -- "${TESTS[@]}" || true
python3 - "$OUT/mutants.out" <<'PY'
import pathlib, sys
d = pathlib.Path(sys.argv[1])
n = {k: len([l for l in (d / f"{k}.txt").read_text().splitlines() if l.strip()])
     if (d / f"{k}.txt").exists() else 0 for k in ("caught", "missed", "timeout", "unviable")}
viable = n["caught"] + n["missed"] + n["timeout"]
score = (n["caught"] + n["timeout"]) / viable if viable else float("nan")
print(f"caught {n['caught']}, timeout {n['timeout']} (counted as caught: the mutant hangs or "
      f"diverges), missed {n['missed']}, unviable {n['unviable']}; score {score:.1%} of {viable} viable")
PY
