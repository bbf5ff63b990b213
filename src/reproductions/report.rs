//! Writing a report directory: README.md, SVG figures and numbers.json, each written atomically.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::error::{Error, Result};
use crate::reproductions::numbers::VerdictCounts;

/// One SVG figure of a report.
#[derive(Debug, Clone)]
pub struct Figure {
    /// File name inside the report directory (`*.svg`).
    pub file_name: String,
    /// One-line caption.
    pub caption: String,
    /// The SVG document.
    pub svg: String,
}

/// A reproduction's output before it is written: the record (as JSON), the markdown body of the
/// README (paper, claim, table, notes) and the figures.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// Reproduction id (the directory name).
    pub id: &'static str,
    /// Title line of the README.
    pub title: String,
    /// Markdown body: the paper, the claim, the table and the notes.
    pub body: String,
    /// Figures.
    pub figures: Vec<Figure>,
    /// The typed record, serialised (rounded numbers).
    pub record: serde_json::Value,
    /// BibTeX entries of the papers whose claims are reproduced.
    pub references: Vec<&'static str>,
    /// Verdict counts of the report's tables (the one-line summary at the top of the README).
    pub verdicts: VerdictCounts,
}

/// How the report was produced. The command, seed, configuration and version go into the README
/// (seed and configuration also into numbers.json); the wall time and thread count vary from run to
/// run, so they go only into `timing.json`, which `reproductions/.gitignore` keeps out of the
/// committed reports (a rerun on the same code leaves the checkout unchanged).
#[derive(Debug, Clone, Serialize)]
pub struct RunInfo {
    /// The exact command line that regenerates the report.
    pub command: String,
    /// The seed.
    pub seed: u64,
    /// Quick (test) configuration or full.
    pub quick: bool,
    /// Crate version.
    pub crate_version: &'static str,
    /// Wall-clock seconds of the run.
    pub seconds: f64,
    /// Rayon threads used.
    pub threads: usize,
}

/// Writes `contents` to `path` atomically: a temporary file in the same directory, then a rename.
pub(crate) fn write_atomic(path: &Path, contents: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temp: PathBuf = dir.join(format!(".{name}.tmp-{}", std::process::id()));
    let io = |e: std::io::Error, what: &Path| Error::Io(format!("{}: {e}", what.display()));
    std::fs::write(&temp, contents).map_err(|e| io(e, &temp))?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io(e, path)
    })
}

/// Writes the report directory `out/<id>/` and returns its path.
pub fn write_report(out: &Path, rendered: &Rendered, info: &RunInfo) -> Result<PathBuf> {
    let dir = out.join(rendered.id);
    std::fs::create_dir_all(&dir).map_err(|e| Error::Io(format!("{}: {e}", dir.display())))?;
    for figure in &rendered.figures {
        write_atomic(&dir.join(&figure.file_name), figure.svg.as_bytes())?;
    }
    let numbers = serde_json::json!({
        "id": rendered.id,
        "crate_version": info.crate_version,
        "seed": info.seed,
        "quick": info.quick,
        "record": rendered.record,
    });
    let text = serde_json::to_string_pretty(&numbers).map_err(|e| Error::Io(e.to_string()))?;
    write_atomic(&dir.join("numbers.json"), format!("{text}\n").as_bytes())?;
    write_atomic(&dir.join("README.md"), readme(rendered, info).as_bytes())?;
    let timing = serde_json::json!({ "seconds": info.seconds, "threads": info.threads });
    let text = serde_json::to_string_pretty(&timing).map_err(|e| Error::Io(e.to_string()))?;
    write_atomic(&dir.join("timing.json"), format!("{text}\n").as_bytes())?;
    Ok(dir)
}

fn readme(rendered: &Rendered, info: &RunInfo) -> String {
    let mut out = format!("# {}\n\n", rendered.title);
    out.push_str(&rendered.verdicts.summary());
    out.push_str(&rendered.body);
    if !rendered.figures.is_empty() {
        out.push_str("\n## Figures\n\n");
        for f in &rendered.figures {
            out.push_str(&format!(
                "![{caption}]({file})\n\n*{caption}* (`{file}`)\n\n",
                caption = f.caption,
                file = f.file_name
            ));
        }
    }
    out.push_str(&format!(
        "\n## Reproduce\n\n```sh\n{}\n```\n\n\
         | | |\n|---|---|\n| seed | {} |\n| configuration | {} |\n| crate version | sgbayes {} |\n\n\
         Every number above is in `numbers.json` (closed forms to 6 significant digits, \
         simulations rounded to the second significant digit of their Monte-Carlo standard error, \
         which is a batch-means standard error pooled over independent chains). The same seed \
         gives the same bits at any thread count.\n",
        info.command,
        info.seed,
        if info.quick { "quick (the test configuration)" } else { "full" },
        info.crate_version,
    ));
    out.push_str(
        "\n## How to cite\n\nCite the paper for the claim and sgbayes for the check \
         (`CITATION.cff` at the repository root):\n\n```bibtex\n",
    );
    for reference in &rendered.references {
        out.push_str(reference.trim());
        out.push_str("\n\n");
    }
    out.push_str(&format!(
        "@software{{sgbayes,\n  title = {{sgbayes: exact stationary laws of stochastic-gradient samplers and calibrated checks}},\n  \
         author = {{{{The sgbayes developers}}}},\n  version = {{{}}},\n  \
         note = {{Reproduction `{}`, generated by `{}`}}\n}}\n```\n",
        info.crate_version, rendered.id, info.command
    ));
    out
}
