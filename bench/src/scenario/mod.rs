pub mod fanout;
pub mod idle;
pub mod report;
pub mod snapshot;
pub mod storm;
pub mod throughput;
