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
