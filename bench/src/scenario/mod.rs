//! The scenarios the load generator runs, one module each; `report` prints the table of a results file.

pub mod fanout;
pub mod idle;
pub mod join_storm;
pub mod login_flood;
pub mod outage;
pub mod report;
pub mod snapshot;
pub mod storm;
pub mod throughput;
