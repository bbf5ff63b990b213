//! The BibTeX entries the reports cite, in one place: each report lists the entries of the papers
//! it reproduces or relies on ([`super::Rendered::references`]), and a paper cited by two reports
//! (Mandt et al. 2017 by `mandt2017` and `minibatch-regime`) has a single entry.

/// Mandt, Hoffman & Blei (2017), "Stochastic Gradient Descent as Approximate Bayesian Inference",
/// JMLR 18(134):1–35 — reproduced by `mandt2017`; its OU analysis is the approximation
/// `minibatch-regime` compares with.
pub(crate) const MANDT2017: &str = r"@article{mandt2017sgd,
  title = {Stochastic Gradient Descent as Approximate Bayesian Inference},
  author = {Mandt, Stephan and Hoffman, Matthew D. and Blei, David M.},
  journal = {Journal of Machine Learning Research},
  volume = {18},
  number = {134},
  pages = {1--35},
  year = {2017}
}";

/// Welling & Teh (2011), "Bayesian Learning via Stochastic Gradient Langevin Dynamics", ICML —
/// the SGLD sampler of `minibatch-regime`.
pub(crate) const WELLING2011: &str = r"@inproceedings{welling2011sgld,
  title = {Bayesian Learning via Stochastic Gradient {L}angevin Dynamics},
  author = {Welling, Max and Teh, Yee Whye},
  booktitle = {Proceedings of the 28th International Conference on Machine Learning},
  pages = {681--688},
  year = {2011}
}";

/// Smith, Duckworth, Rezchikov, Le & Sohl-Dickstein (2018), "Stochastic natural gradient descent
/// draws posterior samples in function space", arXiv:1806.09597 — reproduced by `smith2018`.
pub(crate) const SMITH2018: &str = r"@article{smith2018natural,
  title = {Stochastic natural gradient descent draws posterior samples in function space},
  author = {Smith, Samuel L. and Duckworth, Daniel and Rezchikov, Semon and Le, Quoc V. and Sohl-Dickstein, Jascha},
  journal = {arXiv preprint arXiv:1806.09597},
  year = {2018}
}";

/// Corlouer, Semler, Strang & Gietelink Oldenziel, "SGD in the saddle-to-saddle regime of deep
/// linear networks", arXiv:2604.06366 — reproduced by `corlouer2025`.
pub(crate) const CORLOUER2025: &str = r"@article{corlouer2026sgd,
  title = {SGD in the saddle-to-saddle regime of deep linear networks},
  author = {Corlouer, G. and Semler, A. and Strang, A. and Gietelink Oldenziel, A.},
  journal = {arXiv preprint arXiv:2604.06366},
  year = {2026}
}";

/// Park, Bocchi, D'Amico, Lucini & Aarts (2026), "Spectral phase transitions and trainability in
/// neural network learning dynamics", arXiv:2606.28486, with the BBP reference it relies on:
/// Benaych-Georges & Nadakuditi (2012), J. Multivariate Anal. 111:120–135 — both cited by
/// `bbp-teacher-student` (one string: the report prints them without a blank line between).
pub(crate) const PARK2026_BENAYCH2012: &str = r"@article{park2026spectral,
  title = {Spectral phase transitions and trainability in neural network learning dynamics},
  author = {Park, Chanju and Bocchi, Matteo and D'Amico, Alessandro and Lucini, Biagio and Aarts, Gert},
  journal = {arXiv preprint arXiv:2606.28486},
  year = {2026}
}
@article{benaych2012rectangular,
  title = {The singular values and vectors of low rank perturbations of large rectangular random matrices},
  author = {Benaych-Georges, Florent and Nadakuditi, Raj Rao},
  journal = {Journal of Multivariate Analysis},
  volume = {111},
  pages = {120--135},
  year = {2012}
}";

/// Göring, Mingard, Nam & Louis (2025), "A simple mean field model of feature learning",
/// arXiv:2510.15174 — reproduced by `mean-field-sgld`.
pub(crate) const GORING2025: &str = r#"@article{goring2025simple,
  title = {A simple mean field model of feature learning},
  author = {G{\"o}ring and Mingard and Nam and Louis},
  journal = {arXiv preprint arXiv:2510.15174},
  year = {2025}
}"#;

/// Rangriz (2025), "Limit Theorems for Stochastic Gradient Descent in High-Dimensional
/// Single-Layer Networks", arXiv:2511.02258 — reproduced by `rangriz2025`.
pub(crate) const RANGRIZ2025: &str = r"@article{rangriz2025limit,
  title = {Limit Theorems for Stochastic Gradient Descent in High-Dimensional Single-Layer Networks},
  author = {Rangriz, Parsa},
  journal = {arXiv preprint arXiv:2511.02258},
  year = {2025}
}";

/// Ben Arous, Gheissari & Jagannath (2022), "High-dimensional limit theorems for SGD: Effective
/// dynamics and critical scaling", NeurIPS, arXiv:2206.04030 — the effective dynamics
/// `rangriz2025` builds on.
pub(crate) const BEN_AROUS2022: &str = r"@inproceedings{benarous2022high,
  title = {High-dimensional limit theorems for {SGD}: Effective dynamics and critical scaling},
  author = {Ben Arous, G{\'e}rard and Gheissari, Reza and Jagannath, Aukosh},
  booktitle = {Advances in Neural Information Processing Systems},
  note = {arXiv:2206.04030},
  year = {2022}
}";

/// Adhikari, Kabakçıoğlu, Strang, Yuret & Hinczewski (2023), "Machine learning in and out of
/// equilibrium", arXiv:2306.03521 — reproduced by `adhikari2023`, `adhikari2023-nonequilibrium`
/// and cited by `shaw-whalley2025`.
pub const ADHIKARI2023: &str = r"@article{adhikari2023machine,
  title = {Machine learning in and out of equilibrium},
  author = {Adhikari, Shishir and Kabak{\c{c}}{\i}o{\u{g}}lu, Alkan and Strang, Alexander and Yuret, Deniz and Hinczewski, Michael},
  journal = {arXiv preprint arXiv:2306.03521},
  year = {2023}
}";
