//! The casetrail server: GraphQL over HTTP, authentication, configuration
//! and the `casetrail` command line.

pub mod app;
pub mod auth;
pub mod cli;
pub mod commands;
pub mod config_file;
pub mod dashboard;
pub mod error;
pub mod export;
pub mod graphql;
pub mod http;
pub mod import;
pub mod metrics;
pub mod policy;
pub mod rate_limit;
pub mod seed;
pub mod settings;
pub mod telemetry;

pub use app::Application;
