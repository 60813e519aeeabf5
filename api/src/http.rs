//! GraphQL over HTTP (JSON in, JSON out), probes and GraphiQL (its page
//! and every page's assets are in `assets`).
//!
//! Status codes follow the GraphQL-over-HTTP specification: a well-formed
//! request answers 200 with `application/json` (errors in the body); with
//! `Accept: application/graphql-response+json`, a request that produced no
//! data (parse or validation error) answers 400. A body that is not a JSON
//! GraphQL request is 400, a missing or bad token 401, an unsupported media
//! type 415, an oversized body 413.

pub mod assets;
mod documents;
pub mod live;
mod standby_retry;
mod state;

pub use state::HttpState;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use tracing::Instrument;
use uuid::Uuid;

use crate::commands::reads::ReadFrom;
use crate::error::ApiError;
use crate::graphql::RequestContext;

const GRAPHQL_RESPONSE: &str = "application/graphql-response+json";
const JSON: &str = "application/json";

/// The request's correlation id: the client's `X-Request-Id` when it is a
/// plain token, otherwise a fresh one. It is logged and stored in metadata,
/// so it must never carry personal data: only [A-Za-z0-9._-] up to 64.
fn correlation_id(headers: &HeaderMap) -> String {
    headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
        })
        .map(str::to_string)
        .unwrap_or_else(|| Uuid::now_v7().to_string())
}

fn wants_graphql_response(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains(GRAPHQL_RESPONSE))
}

/// The body is serialised once, straight to its text: a GraphQL response
/// was first copied into a `serde_json::Value`, about 1% of a
/// receiveCall's server CPU (`perf`, docs/PERFORMANCE.md).
fn reply(
    status: StatusCode,
    media: &'static str,
    correlation: &str,
    body: impl serde::Serialize,
) -> Response {
    let text = serde_json::to_string(&body)
        .unwrap_or_else(|_| error_body(&ApiError::Internal).to_string());
    let mut response = (status, text).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(media));
    if let Ok(v) = HeaderValue::from_str(correlation) {
        headers.insert("x-request-id", v);
    }
    response
}

fn error_body(err: &ApiError) -> serde_json::Value {
    json!({ "errors": [{ "message": err.to_string(), "extensions": { "code": err.code() } }] })
}

/// `POST /graphql`.
pub async fn graphql(
    State(state): State<Arc<HttpState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let correlation = correlation_id(&headers);
    let span = tracing::info_span!("graphql", correlation_id = %correlation, operation = tracing::field::Empty);
    async move {
        let media = if wants_graphql_response(&headers) { GRAPHQL_RESPONSE } else { JSON };
        let principal = match state.tokens.authenticate(&state.jwt, headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok())) {
            Ok(p) => p,
            Err(e) => return reply(StatusCode::UNAUTHORIZED, media, &correlation, error_body(&e)),
        };
        if let Err(e) = crate::auth::check_agency_in_force(&state.store, &principal).await {
            let status = if matches!(e, ApiError::Unavailable) { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::UNAUTHORIZED };
            return reply(status, media, &correlation, error_body(&e));
        }
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let is_json = content_type.trim_start().to_ascii_lowercase().starts_with(JSON);
        let mut parsed = is_json.then(|| serde_json::from_slice::<async_graphql::Request>(&body).ok()).flatten();
        // The document is parsed once, here: the request keeps the parse, so
        // what is priced is what runs, and naming the operation reuses it.
        let analysis = parsed.as_mut().and_then(|r| {
            state.documents.prepare(r);
            let operation = r.operation_name.clone();
            let variables = std::mem::take(&mut r.variables);
            let analysis = r.parsed_query().ok().and_then(|doc| state.cost.analyse_document(doc, operation.as_deref(), &variables));
            r.variables = variables;
            analysis
        });
        // Each root field is a request for the rate limit: aliases cannot multiply the rate.
        let weight = analysis.map_or(1, |a| a.root_fields.max(1));
        if !state.rate_limiter.allow_n(&principal.subject, weight) {
            tracing::warn!(actor = %principal.subject, root_fields = weight, "rate limited");
            return reply(StatusCode::TOO_MANY_REQUESTS, media, &correlation, error_body(&ApiError::RateLimited));
        }
        if !is_json {
            let e = ApiError::BadUserInput("send the GraphQL request as Content-Type: application/json".into());
            return reply(StatusCode::UNSUPPORTED_MEDIA_TYPE, media, &correlation, error_body(&e));
        }
        if let Some(Err(refusal)) = analysis.map(|a| state.cost.admit(&a)) {
            tracing::info!(?refusal, "request refused before execution");
            crate::metrics::metrics().request(crate::metrics::operation_label("none"), "BAD_USER_INPUT");
            let status = if media == GRAPHQL_RESPONSE { StatusCode::BAD_REQUEST } else { StatusCode::OK };
            return reply(status, media, &correlation, refusal.to_json());
        }
        let mut request: async_graphql::Request = match parsed {
            Some(r) => r,
            None => {
                let e = ApiError::BadUserInput(
                    "the body is not a GraphQL request: a JSON object with query, and optionally variables and operationName".into(),
                );
                return reply(StatusCode::BAD_REQUEST, media, &correlation, error_body(&e));
            }
        };
        let operation = operation_name(&mut request);
        if let Some(name) = &operation {
            tracing::Span::current().record("operation", name.as_str());
        }
        let min_position = match min_position(&request) {
            Ok(position) => position,
            Err(e) => return reply(StatusCode::BAD_REQUEST, media, &correlation, error_body(&e)),
        };
        let read_from = state.reads.choose(min_position).await;
        let context = RequestContext { principal, correlation_id: correlation.clone(), operation };
        let query = request.query.clone();
        let (mut response, committed, read_from) = standby_retry::execute(&state, request, context, read_from).await;
        casetrail_extensions(&mut response, committed, state.reads.has_replica().then_some(read_from));
        crate::graphql::cost::arguments::name_arguments(&query, &mut response);
        give_codes(&mut response);
        record_request(&response);
        let no_data = matches!(response.data, async_graphql::Value::Null) && !response.errors.is_empty();
        let status = if media == GRAPHQL_RESPONSE && no_data { StatusCode::BAD_REQUEST } else { StatusCode::OK };
        reply(status, media, &correlation, &response)
    }
    .instrument(span)
    .await
}

/// `extensions.casetrail.minPosition` of the request (GraphQL-over-HTTP
/// request extensions): the log position, from a mutation's response, that
/// what this request reads must include. A non-negative integer or nothing.
fn min_position(request: &async_graphql::Request) -> Result<Option<i64>, ApiError> {
    let Some(ours) = request.extensions.get("casetrail") else {
        return Ok(None);
    };
    let refuse = || {
        ApiError::BadUserInput(
            "extensions.casetrail.minPosition is the position a mutation answered (a non-negative integer)".into(),
        )
    };
    let async_graphql::Value::Object(fields) = ours else {
        return Err(refuse());
    };
    match fields.get("minPosition") {
        None | Some(async_graphql::Value::Null) => Ok(None),
        Some(async_graphql::Value::Number(n)) => {
            n.as_i64().filter(|p| *p >= 0).map(Some).ok_or_else(refuse)
        }
        Some(_) => Err(refuse()),
    }
}

/// Adds `extensions.casetrail` to a response: the log position its
/// mutations committed (what a later query passes as `minPosition`) and,
/// when the server has a standby, where it read (`primary` or `replica`).
fn casetrail_extensions(
    response: &mut async_graphql::Response,
    committed: Option<i64>,
    read_from: Option<ReadFrom>,
) {
    let mut ours = async_graphql::indexmap::IndexMap::new();
    if let Some(position) = committed {
        ours.insert(
            async_graphql::Name::new("position"),
            async_graphql::Value::from(position),
        );
    }
    if let Some(from) = read_from {
        ours.insert(
            async_graphql::Name::new("readFrom"),
            async_graphql::Value::from(from.as_str()),
        );
    }
    if !ours.is_empty() {
        response
            .extensions
            .insert("casetrail".into(), async_graphql::Value::Object(ours));
    }
}

/// Every error gets one of the contract's codes: those without one are
/// async-graphql's own parse, validation, coercion and limit errors.
fn give_codes(response: &mut async_graphql::Response) {
    for error in &mut response.errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if !has_code {
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", "BAD_USER_INPUT");
        }
    }
}

/// The operation the request runs, as the access log and traces name it:
/// the body's `operationName`, or else the name of the document's single
/// operation (`None` when it is anonymous, or the document does not parse).
/// The parse `graphql` made for the cost model is reused, as by execution.
/// Names are the client's words: kept short and to identifier characters.
fn operation_name(request: &mut async_graphql::Request) -> Option<String> {
    use async_graphql::parser::types::DocumentOperations;
    let name = match &request.operation_name {
        Some(name) => Some(name.clone()),
        None => match request.parsed_query().map(|doc| &doc.operations) {
            Ok(DocumentOperations::Multiple(named)) if named.len() == 1 => {
                named.keys().next().map(|name| name.to_string())
            }
            _ => None,
        },
    }?;
    let name: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(64)
        .collect();
    (!name.is_empty()).then_some(name)
}

/// `GET /`: GraphiQL in dev mode, entirely from the binary (`assets`).
pub async fn graphiql(State(state): State<Arc<HttpState>>) -> Response {
    if state.graphiql {
        assets::page(assets::GRAPHIQL_PAGE, assets::GRAPHIQL_POLICY)
    } else {
        StatusCode::NOT_FOUND.into_response()
    }
}

/// `GET /healthz`: the process is up.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: the database answers, every migration is applied, and no
/// projection is stopped at an event it cannot apply (503 naming them: the
/// lists and statistics it serves would silently fall behind otherwise).
pub async fn readyz(State(state): State<Arc<HttpState>>) -> Response {
    let expected = store::db::MIGRATOR
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .count() as i64;
    let applied: Result<i64, _> =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE success")
            .fetch_one(&state.pool)
            .await;
    match applied {
        Ok(n) if n >= expected => {}
        Ok(_) => return (StatusCode::SERVICE_UNAVAILABLE, "migrations pending").into_response(),
        Err(_) => return (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response(),
    }
    match projections::status(&state.pool).await {
        Ok(statuses) => {
            let stopped: Vec<&str> = statuses
                .iter()
                .filter(|s| s.is_stopped())
                .map(|s| s.name.as_str())
                .collect();
            if stopped.is_empty() {
                (StatusCode::OK, "ready").into_response()
            } else {
                let body = format!("projection stopped: {}", stopped.join(", "));
                (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
            }
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "database unreachable").into_response(),
    }
}

/// Counts the request by root field and outcome.
fn record_request(response: &async_graphql::Response) {
    let outcome = response
        .errors
        .first()
        .and_then(|e| e.extensions.as_ref())
        .and_then(|e| e.get("code"))
        .map(|code| match code {
            async_graphql::Value::String(s) => s.clone(),
            _ => "error".to_string(),
        })
        .unwrap_or_else(|| "ok".to_string());
    let field = match &response.data {
        async_graphql::Value::Object(map) => {
            map.keys().next().map(|k| k.as_str()).unwrap_or("none")
        }
        _ => "none",
    };
    crate::metrics::metrics().request(crate::metrics::operation_label(field), &outcome);
}

/// `GET /metrics`: Prometheus text format.
pub async fn metrics(State(state): State<Arc<HttpState>>) -> Response {
    let mut extra = crate::metrics::pool_gauges(&state.pool);
    extra.push_str(&crate::metrics::live::render());
    extra.push_str(&crate::metrics::live::render_catch_up(
        state.live.catch_up_counts(),
    ));
    extra.push_str(&crate::metrics::live::render_reads(state.reads.counts()));
    extra.push_str(&projection_gauges(&state.pool).await);
    let body = crate::metrics::metrics().render(&extra);
    let mut response = body.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    response
}

/// Position, lag and failure of each projection, read at scrape time.
async fn projection_gauges(pool: &sqlx::PgPool) -> String {
    use std::fmt::Write;
    let Ok(statuses) = projections::status(pool).await else {
        return String::new();
    };
    let mut out = String::from(
        "# HELP casetrail_projection_position Log position each projection has applied.\n\
         # TYPE casetrail_projection_position gauge\n",
    );
    for s in &statuses {
        let _ = writeln!(
            out,
            "casetrail_projection_position{{projection=\"{}\"}} {}",
            s.name, s.position
        );
    }
    out.push_str("# HELP casetrail_projection_lag Events in the log not yet applied by each projection.\n# TYPE casetrail_projection_lag gauge\n");
    for s in &statuses {
        let _ = writeln!(
            out,
            "casetrail_projection_lag{{projection=\"{}\"}} {}",
            s.name, s.lag
        );
    }
    // `_failed` is the earlier name, kept for existing dashboards; `_stopped`
    // is the one /readyz agrees with (any recorded failure, positioned or not).
    for (name, help) in [
        (
            "failed",
            "1 while a projection is stopped at an event it cannot apply.",
        ),
        (
            "stopped",
            "1 while a projection is stopped (it retries, and /readyz answers 503).",
        ),
    ] {
        let _ = writeln!(
            out,
            "# HELP casetrail_projection_{name} {help}\n# TYPE casetrail_projection_{name} gauge"
        );
        for s in &statuses {
            let _ = writeln!(
                out,
                "casetrail_projection_{name}{{projection=\"{}\"}} {}",
                s.name,
                u8::from(s.is_stopped())
            );
        }
    }
    out
}
