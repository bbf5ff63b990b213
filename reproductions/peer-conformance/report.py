#!/usr/bin/env python3
"""Check the peers' draws with `sgbayes theory` and `sgbayes check`, and write the table.

    python report.py --bin target/release/sgbayes --out DIR --readme README.md --csv results.csv \
        --json results.json

Reads DIR/runs/*.json (written by peers.py). For each case: the posterior (`theory`'s posterior,
which does not depend on the sampler), the exact stationary law of the sgbayes sampler the
library's parameters map to (`theory` with the mapped flags), and `check` on the draws with the
same flags and the case's burn-in. Effect sizes are computed from the draws after the burn-in:
max over coordinates of |mean − target mean| / target sd, and the variance ratio draws / target,
min and max over coordinates, against the posterior and against the law. The table replaces the
part of the README between the `<!-- table -->` markers.
"""
import argparse
import csv
import glob
import json
import os
import re
import subprocess
import sys

import numpy as np

ORDER = ["blackjax", "sgmcmcjax", "jax-sgmc"]


def cli_flags(flags):
    out = ["--sampler", flags["sampler"]]
    for k, v in flags.items():
        if k == "sampler" or v is False or v is None:
            continue
        out.append("--" + k.replace("_", "-"))
        if v is not True:
            out.append(f"{v:.12g}" if isinstance(v, float) else str(v))
    return out


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr.strip()


def first_line(text):
    text = re.sub(r"^error: ", "", text.strip())
    return text.splitlines()[0] if text else ""


def refusal(rc, err, sampler):
    """Classify a `theory`/`check` exit 2."""
    if f"invalid value '{sampler}'" in err or "unexpected argument" in err:
        return "not yet expressible"
    if "no stationary law" in err:
        return "no stationary law"
    if "non-finite" in err or "not finite" in err:
        return "diverged"
    if "no verdict" in err:
        return "no verdict (too few draws)"
    if "stability limit" in err:
        return "refused: past the per-step stability limit"
    if "no closed form" in err:
        return "no closed form"
    return "refused"


def tolerance_mode(binary):
    """Whether this sgbayes' check has the posterior-with-tolerance mode (`--mode tolerance`)."""
    return "--mode" in run([binary, "check", "--help"])[1]


def effect(draws, mean, cov):
    sd = np.sqrt(np.diag(cov))
    m = draws.mean(0)
    v = draws.var(0, ddof=1)
    ratio = v / np.diag(cov)
    return dict(dmean_sd=float(np.max(np.abs(m - mean) / sd)),
                var_ratio_min=float(ratio.min()), var_ratio_max=float(ratio.max()))


def fmt(x, digits=3):
    if x is None:
        return "—"
    if not np.isfinite(x):
        return "∞" if x > 0 else str(x)
    if x != 0 and (abs(x) >= 1e4 or abs(x) < 1e-3):
        return f"{x:.2e}"
    return f"{x:.{digits}g}"


def vr(e, key):
    if not e:
        return "—"
    lo, hi = e[f"{key}_min"], e[f"{key}_max"]
    return fmt(lo) if fmt(lo) == fmt(hi) else f"{fmt(lo)}–{fmt(hi)}"


def analyse(rec, binary):
    out = {k: rec.get(k) for k in ("name", "library", "version", "versions", "sampler", "problem", "batch",
                                    "peer", "flags", "note", "n_draws", "non_finite",
                                    "first_non_finite", "distinct_rows", "seconds", "error")}
    flags = rec["flags"]
    problem = rec["problem_file"]
    base = ["--problem", problem, "--batch", str(rec["batch"])]
    out["check_command"] = ("sgbayes check --problem " + rec["problem"] + ".json " +
                            " ".join(cli_flags(flags)) + f" --batch {rec['batch']} --draws "
                            + rec["name"] + ".npy" +
                            (f" --burn-in {int(rec['burn_in'] * rec['n_draws'])}"
                             if rec.get("n_draws") else ""))
    if rec.get("error"):
        out["verdict"] = "library call failed"
        out["detail"] = rec["error"]
        return out
    # Posterior (independent of the sampler).
    rc, so, se = run([binary, "theory", *base, "--sampler", "sgld", "--eps", "1e-9"])
    post = json.loads(so)["posterior"]
    pm, pc = np.array(post["mean"]), np.array(post["covariance"])
    # Exact law of the mapped sampler.
    rc, so, se = run([binary, "theory", *base, *cli_flags(flags)])
    law = None
    if rc == 0:
        t = json.loads(so)
        law = t["stationary"]
        out["stability_limit"] = t.get("stability_limit")
        out["law_kind"] = "reference" if flags["sampler"] == "psgld-rmsprop" else "exact"
    else:
        out["theory"] = first_line(se)
    draws = np.load(rec["draws"])
    burn = int(rec["burn_in"] * draws.shape[0])
    kept = draws[burn:]
    out["burn_in"] = burn
    finite = bool(np.all(np.isfinite(kept)))
    if finite and kept.shape[0] > 1:
        out["vs_posterior"] = effect(kept, pm, pc)
        if law is not None:
            out["vs_law"] = effect(kept, np.array(law["mean"]), np.array(law["covariance"]))
    # Control: sgbayes' own chain with the same flags and as many draws, through the same check.
    if law is not None and out.get("law_kind") == "exact":
        stride = flags.get("refresh_every") or flags.get("cycle_length") or flags.get("epoch_length") or 1
        own = os.path.join(os.path.dirname(rec["draws"]), rec["name"] + ".sgbayes.npy")
        rc, so, se = run([binary, "sample", *base, *cli_flags(flags), "--steps",
                          str(rec["n_draws"] * stride), "--seed", str(rec["seed"]), "--out", own])
        if rc == 0:
            rc, so, se = run([binary, "check", *base, *cli_flags(flags), "--draws", own,
                              "--burn-in", str(burn), "--no-diagnosis"])
            out["control"] = json.loads(so)["verdict"] if rc in (0, 1) else refusal(rc, se, flags["sampler"])
        else:
            out["control"] = "sample failed: " + first_line(se)
    # The check.
    rc, so, se = run([binary, "check", *base, *cli_flags(flags), "--draws", rec["draws"],
                      "--burn-in", str(burn)])
    out["check_exit"] = rc
    if rc in (0, 1):
        c = json.loads(so)
        out["verdict"] = c["verdict"]
        out["p_value"] = c.get("p_value")
        best = (c.get("diagnosis") or {}).get("best")
        if best:
            out["diagnosis"] = best.get("law") or best.get("mistake")
        out["detail"] = c.get("message", "")
    else:
        if not finite:
            out["verdict"] = "diverged"
            out["detail"] = (f"non-finite from draw {rec['first_non_finite']} of "
                             f"{rec['n_draws']}; " + (out.get("theory") or first_line(se)))
        else:
            out["verdict"] = refusal(rc, se, flags["sampler"])
            out["detail"] = first_line(se)
            if out["verdict"] == "refused" and law is not None and out.get("law_kind") == "reference":
                out["verdict"] = "no exact law (reference law)"
            if out["verdict"] in ("no closed form", "no exact law (reference law)") and tolerance_mode(binary):
                # Samplers without an exact law: the equivalence test against the posterior.
                rc, so, se = run([binary, "check", *base, *cli_flags(flags), "--draws", rec["draws"],
                                  "--burn-in", str(burn), "--mode", "tolerance"])
                if rc in (0, 1):
                    c = json.loads(so)
                    out["verdict"] = "tolerance mode: " + c["verdict"]
                    out["detail"] = c.get("message", "")
                else:
                    out["detail"] += "; tolerance mode: " + first_line(se)
    if out["verdict"] == "not yet expressible" and rec.get("planned") is False:
        out["verdict"] = "no sgbayes sampler"
    if rec.get("distinct_rows") == 1:
        out["verdict"] += " — constant draws"
    return out


def table(rows):
    head = ("| library | version | sampler | problem, B | sgbayes mapping | verdict | "
            "max \\|Δmean\\| / posterior sd | variance / posterior | variance / law | draws | "
            "sgbayes' own draws | note |\n"
            "|---|---|---|---|---|---|---|---|---|---|---|---|\n")
    lines = []
    for r in rows:
        m = " ".join(cli_flags(r["flags"])).replace("--sampler ", "")
        vp, vl = r.get("vs_posterior"), r.get("vs_law")
        verdict = r["verdict"]
        if r.get("diagnosis"):
            verdict += f" (fits: {r['diagnosis']})"
        lines.append(
            f"| {r['library']} | {r['version']} (jax {r['versions']['jax']}) | {r['sampler']} | {r['problem']}, {r['batch']} | "
            f"`{m}` | {verdict} | {fmt(vp['dmean_sd']) if vp else '—'} | {vr(vp, 'var_ratio')} | "
            f"{vr(vl, 'var_ratio')} | {r.get('n_draws') or '—'} | {r.get('control', '—')} | {r.get('note') or ''} |")
    return head + "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--readme")
    ap.add_argument("--csv")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    recs = [json.load(open(f)) for f in sorted(glob.glob(os.path.join(a.out, "runs", "*.json")))]
    recs.sort(key=lambda r: (ORDER.index(r["library"]), r.get("seed", 0)))
    rows = []
    for rec in recs:
        r = analyse(rec, a.bin)
        rows.append(r)
        print(f"{r['name']}: {r['verdict']}", file=sys.stderr)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(rows, f, indent=1, default=float)
            f.write("\n")
    if a.csv:
        with open(a.csv, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["library", "version", "sampler", "problem", "batch", "peer_parameters",
                        "sgbayes_flags", "verdict", "dmean_posterior_sd", "var_ratio_posterior_min",
                        "var_ratio_posterior_max", "var_ratio_law_min", "var_ratio_law_max",
                        "draws", "non_finite", "control_verdict", "detail"])
            for r in rows:
                vp, vl = r.get("vs_posterior") or {}, r.get("vs_law") or {}
                w.writerow([r["library"], r["version"], r["sampler"], r["problem"], r["batch"],
                            json.dumps(r["peer"]), " ".join(cli_flags(r["flags"])), r["verdict"],
                            vp.get("dmean_sd"), vp.get("var_ratio_min"), vp.get("var_ratio_max"),
                            vl.get("var_ratio_min"), vl.get("var_ratio_max"), r.get("n_draws"),
                            r.get("non_finite"), r.get("control", ""), r.get("detail", "")])
    if a.readme:
        text = open(a.readme).read()
        start, end = "<!-- table -->", "<!-- /table -->"
        i, j = text.index(start) + len(start), text.index(end)
        text = text[:i] + "\n" + table(rows) + text[j:]
        with open(a.readme, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
