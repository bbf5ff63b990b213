//! Where the check reads draws from: anything that can hand over the rows of every chain in order,
//! chunk by chunk, as often as the check needs (once per law tested).
//!
//! The check makes one pass over the draws per law and keeps only running sums, so a source may
//! stream its rows from a file without ever holding them all: memory is then independent of the
//! number of draws. [`ChainDraws`] is the in-memory source.

use super::ChainDraws;
use crate::error::Result;

/// Rows per chunk that [`ChainDraws`] hands over (a whitening product of this size stays in cache).
pub const CHUNK_ROWS: usize = 4096;

/// What [`DrawSource::for_each_chunk`] calls: `(chain, first_row, rows)`.
pub type ChunkVisitor<'v> = dyn FnMut(usize, usize, &[f64]) -> Result<()> + 'v;

/// Draws the check can read in one pass: `chains` chains of `draws` rows of `dim` values.
pub trait DrawSource {
    /// Number of chains.
    fn chains(&self) -> usize;
    /// Rows (draws) per chain.
    fn draws(&self) -> usize;
    /// Values per row.
    fn dim(&self) -> usize;
    /// Calls `visit(chain, first_row, rows)` on consecutive row-major chunks of whole rows, chain
    /// after chain, every row exactly once and in order; stops at the first error `visit` or the
    /// source returns.
    ///
    /// # Errors
    ///
    /// The source's own read errors, or the first error of `visit`.
    fn for_each_chunk(&self, visit: &mut ChunkVisitor<'_>) -> Result<()>;
}

impl DrawSource for ChainDraws<'_> {
    fn chains(&self) -> usize {
        self.chains
    }

    fn draws(&self) -> usize {
        self.draws
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn for_each_chunk(&self, visit: &mut ChunkVisitor<'_>) -> Result<()> {
        for c in 0..self.chains {
            for (j, rows) in self.chain(c).chunks(CHUNK_ROWS * self.dim).enumerate() {
                visit(c, j * CHUNK_ROWS, rows)?;
            }
        }
        Ok(())
    }
}
