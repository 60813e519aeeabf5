//! `GET /dashboard`: the statistics dashboard: a page, its stylesheet and
//! its script (vanilla JavaScript, no build step, no external URL: hotline
//! machines may be offline), compiled into the binary so that any
//! `casetrail serve` serves it without files beside it. The script and
//! styles are served from `/assets/` (`http::assets`), so the page's
//! Content-Security-Policy allows no inline script or style at all.
//!
//! The page holds no data and no secret: it POSTs the `statistics` query to
//! `/graphql` with the bearer token the user pastes, or the one given in the
//! URL fragment (`/dashboard#token=...`, which browsers never send to the
//! server, so it never reaches its logs; the page then removes it from the
//! address bar). Authorisation and small-cell suppression stay server-side.

use axum::response::Response;

use crate::http::assets::{page, DASHBOARD_POLICY};

/// The page, as built into the binary.
pub const PAGE: &str = include_str!("../static/dashboard.html");

/// Serves the dashboard page.
pub async fn dashboard() -> Response {
    page(PAGE, DASHBOARD_POLICY)
}
