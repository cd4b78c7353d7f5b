//! Order: the keys that sort lists and cards (`positions`, pure), and how an intent such as "after X" becomes a
//! key among the siblings inside a board transaction (`placement`).

pub mod placement;
pub mod positions;
