//! `GET /dashboard`: the statistics dashboard, one self-contained page
//! (HTML, CSS and vanilla JavaScript inline, no build step, no external
//! URL) compiled into the binary, so that it is served by any `casetrail
//! serve` without files beside it. The page asks `/graphql` for the
//! `statistics` query with the bearer token the user pastes (or, in dev, the
//! one in the URL fragment `#token=...`, which never reaches the server's
//! logs); it holds no data of its own and needs no route of its own beyond this.

use axum::response::Html;

/// The page, as built into the binary.
pub const PAGE: &str = include_str!("../static/dashboard.html");

/// Serves the dashboard page.
pub async fn dashboard() -> Html<&'static str> {
    Html(PAGE)
}
