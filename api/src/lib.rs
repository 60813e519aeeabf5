//! The casetrail server: GraphQL over HTTP, authentication, configuration
//! and the `casetrail` command line.

pub mod app;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod dashboard;
pub mod error;
pub mod graphql;
pub mod http;
pub mod metrics;
pub mod operations;
pub mod policy;
pub mod progress;
pub mod rate_limit;
pub mod settings;
pub mod telemetry;

pub use app::Application;

#[cfg(test)]
mod layers;
