//! The board model lives in the `corkboard-board-model` crate, shared with the tests and the benchmarks.
pub use corkboard_board_model::*;
