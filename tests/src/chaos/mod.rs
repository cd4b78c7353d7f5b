//! Chaos runs: model clients that behave like the web app (on the shared board model the web app ships), a
//! swarm of them on one board with random moves and random disconnects, and the checks that hold the result
//! against the database.

mod client;
mod convergence;
mod log;
mod rng;
mod swarm;
mod view;

pub use client::ModelClient;
pub use convergence::{assert_no_refusals, check_convergence, summary};
pub use log::ClientLog;
pub use rng::Rng;
pub use swarm::{ClientConfig, Phase, Swarm, SwarmConfig, chaos_board};
pub use view::{BoardView, CardView, ListView};
