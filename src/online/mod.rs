//! Online SGD on a stream of fresh examples: every step draws a new Gaussian input, so there is no
//! data set to index and no minibatch schedule.
//!
//! This is a different process from the samplers in [`crate::samplers`], which step on a fixed
//! data set of N examples through [`crate::models::Model`] and the [`crate::chain::Chain`]
//! driver; here the dimension N itself grows and the step size scales as c/N (the
//! high-dimensional regime of Ben Arous, Gheissari & Jagannath 2022). The module owns its
//! simulator and draws its own inputs from a caller-provided generator (ChaCha8 in the tests).
//!
//! `online/` never imports `theory/`; the closed forms it is judged against live in
//! [`crate::theory::high_dimensional_sgd`] and are tied to it by tests/high_dimensional_sgd.rs.

mod single_index;

pub use single_index::{Activation, OnlineSingleIndex, SummaryStatistics};
