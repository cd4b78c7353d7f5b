//! Integration tests, one binary: the real server on a real port, a fresh database per test.

mod abuse;
mod abuse_bodies;
mod auth;
mod auth_limits;
mod boards;
mod cards;
mod chaos;
mod chaos_model;
mod event_log;
mod limits;
mod lists;
mod members;
mod moves_fallback;
mod my_boards;
mod operations;
mod ordering;
mod realtime;
mod realtime_closes;
mod realtime_fanout;
mod realtime_outages;
mod realtime_presence;
mod realtime_rate;
mod smoke;
mod sse;
mod users;
