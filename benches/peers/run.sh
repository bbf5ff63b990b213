#!/usr/bin/env bash
# Side-by-side SGLD throughput: the peer libraries (numpy, hand-written JAX, blackjax, sgmcmcjax)
# against sgbayes, on Bayesian linear regression, N = 1000, B = 32, d in {2, 10, 100}, one chain,
# in one session on one machine. Writes the measured section of docs/performance.md.
#
#   bash benches/peers/run.sh                 # everything (≈ 10 min on 2 cores, installs included)
#   DIMS="2 10" REPS=1 bash benches/peers/run.sh
#   SKIP_INSTALL=1 bash benches/peers/run.sh  # reuse the virtual environments
#   SKIP_CRITERION=1 bash benches/peers/run.sh
#
# The peers' code is installed with pip at run time into target/peers-venv* (VENV_ROOT to put them
# elsewhere; never committed); the
# benchmark driver is ../shared/peers/sgld_gaussian_bench.py (PEERS_DIR to override), which maps every
# backend onto the project SGLD convention theta <- theta - (eps/2) grad U_hat + N(0, eps I),
# U_hat = (N/B) sum_batch nll_i + nll_prior, indices uniform with replacement (see its README).
# Our side runs the release binary (`sgbayes sample`, --thin = --steps so one draw is written) on
# the same problem family, same N, B, eps, and the criterion SGLD step bench (single thread).
#
# Every run is sized from a short pilot so that it lasts at least MIN_SECONDS; each configuration
# is repeated REPS times and the median steps/s is reported (all runs are kept in OUT).
# An install that fails is recorded (OUT/install-*.status) and the run goes on without it.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PEERS_DIR=${PEERS_DIR:-$ROOT/../shared/peers}
BENCH_PY=$PEERS_DIR/sgld_gaussian_bench.py
OUT=${OUT:-$ROOT/target/peers-out}
DOC=${DOC:-$ROOT/docs/performance.md}
DIMS=${DIMS:-"2 10 100"}
N=${N:-1000}
B=${B:-32}
EPS=${EPS:-1e-4}
PROBLEM_SEED=${PROBLEM_SEED:-1}
MIN_SECONDS=${MIN_SECONDS:-2.5}
REPS=${REPS:-3}
PILOT_STEPS=${PILOT_STEPS:-20000}
PYTHON=${PYTHON:-python3}
SKIP_INSTALL=${SKIP_INSTALL:-0}
SKIP_CRITERION=${SKIP_CRITERION:-0}
CARGO_TARGET=${CARGO_TARGET_DIR:-$ROOT/target}
BIN=$CARGO_TARGET/release/sgbayes

# name | pip requirements | backends to run
ENV_NAMES=(current jax0430)
VENV_ROOT=${VENV_ROOT:-$ROOT/target}
declare -A ENV_DIR=([current]=$VENV_ROOT/peers-venv [jax0430]=$VENV_ROOT/peers-venv-jax0430)
declare -A ENV_REQS=(
  [current]='jax[cpu] blackjax numpy scipy'
  [jax0430]='jax[cpu]==0.4.30 numpy<2 sgmcmcjax blackjax==1.2.4 scipy'
)
# sgmcmcjax 0.2.13 does not import on current JAX (jax.experimental.host_callback was removed), so
# it is installed and run only in the jax 0.4.30 environment.
declare -A ENV_BACKENDS=([current]=numpy,jax,blackjax [jax0430]=numpy,jax,blackjax,sgmcmcjax)

mkdir -p "$OUT/runs"
log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" | tee -a "$OUT/run.log" >&2; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

[ -f "$BENCH_PY" ] || { echo "peer driver not found: $BENCH_PY (set PEERS_DIR)" >&2; exit 2; }
: > "$OUT/run.log"
rm -f "$OUT"/runs/*.json

# ---------------------------------------------------------------- machine, date, commands
{
  echo "date_utc: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "commit: ${SGBAYES_COMMIT:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)}"
  echo "uname: $(uname -srm)"
  echo "nproc: $(nproc)"
  echo "rustc: $(rustc --version 2>/dev/null)"
  echo "python: $($PYTHON --version 2>&1)"
  echo "load_at_start: $(load)"
  echo "config: N=$N B=$B eps=$EPS dims=[$DIMS] problem_seed=$PROBLEM_SEED min_seconds=$MIN_SECONDS reps=$REPS"
} > "$OUT/machine.txt"
lscpu > "$OUT/lscpu.txt" 2>/dev/null || true

# ---------------------------------------------------------------- peer environments
for env in "${ENV_NAMES[@]}"; do
  dir=${ENV_DIR[$env]}
  status=$OUT/install-$env.status
  if [ "$SKIP_INSTALL" = 1 ] && [ -x "$dir/bin/python" ]; then
    log "env $env: reusing $dir"
    [ -f "$status" ] || echo "reused" > "$status"
  else
    log "env $env: creating $dir and installing: ${ENV_REQS[$env]}"
    rm -rf "$dir"
    : > "$OUT/install-$env.log"
    if ! $PYTHON -m venv "$dir" >> "$OUT/install-$env.log" 2>&1; then
      echo "failed: python -m venv" > "$status"
      log "env $env: venv creation FAILED"
      continue
    fi
    read -r -a reqs <<< "${ENV_REQS[$env]}"
    if "$dir/bin/pip" install "${reqs[@]}" >> "$OUT/install-$env.log" 2>&1; then
      echo "ok" > "$status"
    else
      # Install what can be installed, one requirement at a time, and record the failures.
      failed=()
      for r in "${reqs[@]}"; do
        "$dir/bin/pip" install "$r" >> "$OUT/install-$env.log" 2>&1 || failed+=("$r")
      done
      echo "partial: failed to install: ${failed[*]:-(none individually; joint resolution failed)}" > "$status"
    fi
    log "env $env: $(cat "$status")"
  fi
  [ -x "$dir/bin/python" ] && "$dir/bin/pip" freeze > "$OUT/freeze-$env.txt" 2>/dev/null
done

# ---------------------------------------------------------------- our binary and problems
log "cargo build --release"
(cd "$ROOT" && cargo build --release --quiet) || { log "cargo build --release FAILED"; exit 1; }
for d in $DIMS; do
  "$BIN" problem linear-regression --dim "$d" --data "$N" --seed "$PROBLEM_SEED" > "$OUT/p$d.json"
  # Stability / law at this eps (the exact solver is limited in d; failure is recorded, not fatal).
  "$BIN" theory --problem "$OUT/p$d.json" --sampler sgld --eps "$EPS" --batch "$B" \
    --batching with-replacement > "$OUT/theory-d$d.json" 2> "$OUT/theory-d$d.err" || true
done

json_get() { "$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }
steps_for() { # rate -> steps lasting MIN_SECONDS, at least PILOT_STEPS, rounded up to 1000
  "$PYTHON" -c "import math,sys; r=float(sys.argv[1]); print(max(int(sys.argv[3]), 1000*math.ceil(r*float(sys.argv[2])/1000)))" "$1" "$MIN_SECONDS" "$PILOT_STEPS"
}

ours_run() { # d steps tag -> writes OUT/runs/ours-d$d-$tag.json, returns non-zero on failure
  # Wall-clock steps/s from the binary's own timer, plus the CPU time of the whole process
  # (getrusage of the child) for steps per CPU-second, which a loaded machine distorts less.
  "$PYTHON" - "$OUT/runs/ours-d$1-$3.json" "$1" "$2" "$(load)" "$BIN" "$OUT/p$1.json" "$EPS" "$B" \
      "$OUT/ours-d$1.npy" 2> "$OUT/runs/ours-d$1-$3.err" <<'EOF'
import json, resource, subprocess, sys, time
out, d, steps, load, binary, problem, eps, b, npy = sys.argv[1:]
cmd = [binary, "sample", "--problem", problem, "--sampler", "sgld", "--eps", eps, "--batch", b,
       "--batching", "with-replacement", "--steps", steps, "--burn-in", "0", "--thin", steps,
       "--seed", "1", "--out", npy]
t0 = time.perf_counter()
p = subprocess.run(cmd, capture_output=True, text=True)
wall = time.perf_counter() - t0
if p.returncode != 0:
    sys.stderr.write(p.stderr)
    sys.exit(1)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
s = json.loads(p.stdout)
rec = {"side": "ours", "backend": "sgbayes", "d": int(d), "steps": s["steps"],
       "seconds": s["seconds"], "steps_per_s": s["steps"] / s["seconds"], "load": load,
       "process_wall_s": wall, "process_cpu_s": ru.ru_utime + ru.ru_stime,
       "steps_per_cpu_s": s["steps"] / (ru.ru_utime + ru.ru_stime),
       "non_finite_draws": s.get("non_finite_draws")}
json.dump(rec, open(out, "w"))
EOF
}

peer_run() { # env d backends steps -> raw JSON on stdout
  local env=$1 d=$2 backends=$3 steps=$4
  "${ENV_DIR[$env]}/bin/python" "$BENCH_PY" --d "$d" --N "$N" --B "$B" --steps "$steps" \
    --eps "$EPS" --seed "$PROBLEM_SEED" --backends "$backends" --threads-note "env=$env"
}

# ---------------------------------------------------------------- the side-by-side runs
for d in $DIMS; do
  # ours
  if ours_run "$d" 200000 pilot; then
    rate=$(json_get "$OUT/runs/ours-d$d-pilot.json" "['steps_per_s']")
    steps=$(steps_for "$rate")
    for r in $(seq 1 "$REPS"); do
      ours_run "$d" "$steps" "r$r" && log "ours d=$d rep $r: $(json_get "$OUT/runs/ours-d$d-r$r.json" "['steps_per_s']") steps/s (T=$steps, load $(load))"
    done
  else
    log "ours d=$d: sgbayes sample FAILED: $(head -c 300 "$OUT/runs/ours-d$d-pilot.err")"
  fi
  rm -f "$OUT/runs/ours-d$d-pilot.json"
  # peers
  for env in "${ENV_NAMES[@]}"; do
    py=${ENV_DIR[$env]}/bin/python
    [ -x "$py" ] || { log "env $env missing, skipped"; continue; }
    pilot=$OUT/pilot-$env-d$d.json
    peer_run "$env" "$d" "${ENV_BACKENDS[$env]}" "$PILOT_STEPS" > "$pilot" 2> "$OUT/pilot-$env-d$d.err"
    for be in ${ENV_BACKENDS[$env]//,/ }; do
      rate=$("$PYTHON" -c "
import json,sys
r=json.load(open(sys.argv[1]))['results'].get(sys.argv[2],{})
print(r.get('steps_per_s') or '')" "$pilot" "$be" 2>/dev/null)
      if [ -z "$rate" ]; then
        why=$("$PYTHON" -c "
import json,sys
r=json.load(open(sys.argv[1]))['results'].get(sys.argv[2],{})
print((r.get('skipped') or r.get('error') or 'no result')[:200])" "$pilot" "$be" 2>/dev/null || echo "pilot failed")
        log "peer $env/$be d=$d: unavailable: $why"
        continue
      fi
      steps=$(steps_for "$rate")
      for r in $(seq 1 "$REPS"); do
        f=$OUT/runs/peer-$env-$be-d$d-r$r.json
        if peer_run "$env" "$d" "$be" "$steps" > "$f.raw" 2> "$f.err"; then
          "$PYTHON" - "$f.raw" "$f" "$env" "$be" "$d" "$(load)" <<'EOF'
import json, sys
raw = json.load(open(sys.argv[1]))
e = raw["results"][sys.argv[4]]
rec = {"side": "peer", "env": sys.argv[3], "backend": sys.argv[4], "d": int(sys.argv[5]),
       "load": sys.argv[6], "versions": raw["versions"], "config": raw["config"],
       "problem": raw.get("problem")}
rec.update({k: e.get(k) for k in ("steps_per_s", "run_s", "compile_s", "grad_evals", "dtype",
            "error", "skipped", "mean_err_posterior_sd_units",
            "cov_rel_frob_err_vs_pred_discretisation_plus_minibatch", "finite")})
json.dump(rec, open(sys.argv[2], "w"))
EOF
          rm -f "$f.raw"
          log "peer $env/$be d=$d rep $r: $(json_get "$f" ".get('steps_per_s')") steps/s (T=$steps, load $(load))"
        else
          log "peer $env/$be d=$d rep $r FAILED: $(tail -c 300 "$f.err")"
          rm -f "$f.raw"
        fi
      done
    done
  done
done

# ---------------------------------------------------------------- per-step limit microbenchmark
# benches/peers/limit: peak multiply-add flops, ChaCha8 normal and index costs, a fused reference
# step; thread CPU time. Built for the baseline target (as sgbayes is built) and for the host CPU.
LIMIT_DIR=$ROOT/benches/peers/limit
if [ -f "$LIMIT_DIR/Cargo.toml" ]; then
  for flavour in baseline native; do
    flags=""; [ "$flavour" = native ] && flags="-C target-cpu=native"
    log "limit microbenchmark ($flavour build, load $(load))"
    if (cd "$LIMIT_DIR" && RUSTFLAGS="$flags" cargo build --release --quiet \
          --target-dir "$CARGO_TARGET/peers-limit-$flavour"); then
      "$CARGO_TARGET/peers-limit-$flavour/release/sgbayes-step-limit" > "$OUT/limit-$flavour.json" \
        || log "limit microbenchmark ($flavour) FAILED"
    else
      log "limit microbenchmark ($flavour) build FAILED"
    fi
  done
fi

# ---------------------------------------------------------------- criterion (single thread)
if [ "$SKIP_CRITERION" != 1 ]; then
  (cd "$ROOT" && cargo bench --bench step --no-run --quiet > /dev/null 2>&1)
  log "cargo bench --bench step (load $(load))"
  # The process's CPU share (cpu / wall) converts criterion's wall-clock throughput into an
  # approximate per-CPU-second figure (the bench is single-threaded).
  (cd "$ROOT" && "$PYTHON" - "$OUT/criterion-process.json" "$OUT/criterion.txt" <<'EOF'
import json, resource, subprocess, sys, time
t0 = time.perf_counter()
with open(sys.argv[2], "w") as log:
    rc = subprocess.call(["cargo", "bench", "--bench", "step"], stdout=log, stderr=subprocess.STDOUT)
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
json.dump({"rc": rc, "wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime}, open(sys.argv[1], "w"))
sys.exit(rc)
EOF
  ) || log "cargo bench FAILED (see $OUT/criterion.txt)"
fi
echo "load_at_end: $(load)" >> "$OUT/machine.txt"

# ---------------------------------------------------------------- report
"$PYTHON" "$ROOT/benches/peers/report.py" --out "$OUT" --doc "$DOC" --criterion "$CARGO_TARGET/criterion" \
  --command "DIMS=\"$DIMS\" N=$N B=$B EPS=$EPS REPS=$REPS MIN_SECONDS=$MIN_SECONDS bash benches/peers/run.sh"
log "wrote $DOC"
