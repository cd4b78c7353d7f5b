//! The board model lives in the `corkboard-board-model` crate, shared with the chaos tests that check it.
pub use corkboard_board_model::*;
