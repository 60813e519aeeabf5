//! What the HTTP handlers share, apart from the handlers (`http.rs`) and
//! the pages (`assets.rs`), which both read it.

use crate::graphql::CasetrailSchema;
use crate::settings::JwtSettings;

/// What the HTTP handlers share.
pub struct HttpState {
    pub schema: CasetrailSchema,
    pub jwt: JwtSettings,
    pub pool: sqlx::PgPool,
    pub graphiql: bool,
    pub rate_limiter: crate::rate_limit::RateLimiter,
    /// Prices each request before it runs (depth, cost, root fields).
    pub cost: crate::graphql::cost::CostModel,
    /// Where queries read: the primary, or a hot standby (`commands::reads`).
    pub reads: std::sync::Arc<crate::commands::reads::Reads>,
    /// The tail of the log, for its catch-up counts at `/metrics`.
    pub live: projections::LiveLog,
    /// The primary's event store: the reference book an AGENCY token is checked against.
    pub store: store::EventStore,
    /// Tokens verified under `jwt`, so that each is verified once (`auth::verified`).
    pub tokens: crate::auth::verified::VerifiedTokens,
    /// The documents clients send, parsed once each (`http::documents`).
    pub documents: super::documents::ParsedDocuments,
}
