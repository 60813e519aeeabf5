//! The server's own web pages and their assets, compiled into the binary:
//! nothing is loaded from another origin (hotline and government networks
//! often have no internet access, and no third-party script may run where
//! tokens are pasted), and every page carries a Content-Security-Policy that
//! allows this origin only, so that an injected or inline script cannot run.
//!
//! Pages (`/`, `/dashboard`) are answered with [`page`]; their scripts,
//! styles and GraphiQL's pinned vendor builds (`api/static/vendor/graphiql/README.md`)
//! under `/assets/...` by [`asset`].

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

use super::state::HttpState;

// The pages' policies: this origin only, no inline script, no eval, no
// plugins, no framing, no `<base>` or form posts elsewhere. `connect-src
// 'self'` also covers a same-origin `ws:`/`wss:` socket (CSP level 3), so
// GraphQL subscriptions over graphql-transport-ws will need no change here.

/// The dashboard's styles are all in its stylesheet.
pub const DASHBOARD_POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
     img-src 'self'; font-src 'self' data:; style-src 'self'; base-uri 'none'; \
     form-action 'none'; frame-ancestors 'none'";

/// GraphiQL's CSS embeds its fonts as `data:` URIs. It needs
/// `'unsafe-inline'` for styles (and only for styles): its
/// dialogs lock page scrolling with react-remove-scroll, which inserts a
/// `<style>` element, and its UMD build offers no way to give that element a
/// nonce. Inline style cannot run code; scripts stay `'self'` only.
pub const GRAPHIQL_POLICY: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; \
     img-src 'self'; font-src 'self' data:; style-src 'self' 'unsafe-inline'; \
     base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/// The GraphiQL page (dev mode only).
pub const GRAPHIQL_PAGE: &str = include_str!("../../static/graphiql/index.html");

/// One file under `/assets/`.
struct Asset {
    path: &'static str,
    body: &'static [u8],
    content_type: &'static str,
    /// Pinned vendor builds carry their version in the path, so they never
    /// change under it and are cached for a year; our own files are
    /// revalidated (ETag), so a new release is picked up at once.
    immutable: bool,
    /// Served only where GraphiQL is (dev mode).
    graphiql: bool,
}

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";

const ASSETS: &[Asset] = &[
    Asset {
        path: "graphiql-3.8.3/graphiql.min.js",
        body: include_bytes!("../../static/vendor/graphiql/graphiql.min.js"),
        content_type: JS,
        immutable: true,
        graphiql: true,
    },
    Asset {
        path: "graphiql-3.8.3/graphiql.min.css",
        body: include_bytes!("../../static/vendor/graphiql/graphiql.min.css"),
        content_type: CSS,
        immutable: true,
        graphiql: true,
    },
    Asset {
        path: "react-18.3.1/react.production.min.js",
        body: include_bytes!("../../static/vendor/graphiql/react.production.min.js"),
        content_type: JS,
        immutable: true,
        graphiql: true,
    },
    Asset {
        path: "react-dom-18.3.1/react-dom.production.min.js",
        body: include_bytes!("../../static/vendor/graphiql/react-dom.production.min.js"),
        content_type: JS,
        immutable: true,
        graphiql: true,
    },
    Asset {
        path: "casetrail-graphiql.js",
        body: include_bytes!("../../static/graphiql/casetrail-graphiql.js"),
        content_type: JS,
        immutable: false,
        graphiql: true,
    },
    Asset {
        path: "casetrail-graphiql.css",
        body: include_bytes!("../../static/graphiql/casetrail-graphiql.css"),
        content_type: CSS,
        immutable: false,
        graphiql: true,
    },
    Asset {
        path: "dashboard.js",
        body: include_bytes!("../../static/dashboard.js"),
        content_type: JS,
        immutable: false,
        graphiql: false,
    },
    Asset {
        path: "dashboard.css",
        body: include_bytes!("../../static/dashboard.css"),
        content_type: CSS,
        immutable: false,
        graphiql: false,
    },
];

/// Headers every page and asset carries.
fn common_headers(headers: &mut HeaderMap) {
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
}

/// An HTML page under `policy`. Pages hold no data and are revalidated.
pub fn page(body: &'static str, policy: &'static str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    common_headers(headers);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(policy),
    );
    // For browsers that predate frame-ancestors.
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// A strong validator for `body`, computed on each request (our own files
/// are a few kilobytes; vendor builds are immutable and skip it).
fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// `GET /assets/{*path}`.
pub async fn asset(
    State(state): State<Arc<HttpState>>,
    Path(path): Path<String>,
    request: HeaderMap,
) -> Response {
    let Some(asset) = ASSETS
        .iter()
        .find(|a| a.path == path && (state.graphiql || !a.graphiql))
    else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let mut headers = HeaderMap::new();
    common_headers(&mut headers);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(asset.content_type),
    );
    // Nothing may embed or run these from another origin's page.
    headers.insert(
        HeaderName::from_static("cross-origin-resource-policy"),
        HeaderValue::from_static("same-origin"),
    );
    if asset.immutable {
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
        return (headers, asset.body).into_response();
    }
    let tag = etag(asset.body);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Ok(value) = HeaderValue::from_str(&tag) {
        headers.insert(header::ETAG, value);
    }
    let fresh = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    if fresh {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (headers, asset.body).into_response()
}
