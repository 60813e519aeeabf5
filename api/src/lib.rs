//! The casetrail server: GraphQL over HTTP, authentication, configuration
//! and the `casetrail` command line.

pub mod app;
pub mod auth;
pub mod commands;
pub mod error;
pub mod graphql;
pub mod http;
pub mod policy;
pub mod seed;
pub mod settings;
pub mod telemetry;

pub use app::Application;
