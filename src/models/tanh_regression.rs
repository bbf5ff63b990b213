//! (in progress: issue 7)
