//! GraphiQL and the dashboard need nothing but the server: their pages and
//! assets come from the binary under a Content-Security-Policy that allows
//! this origin only, and headless Chromium with no network but 127.0.0.1
//! opens GraphiQL's documentation explorer on the served schema.
//!
//! The explorer sends the standard introspection query; this needs the
//! depth limit to exempt introspection (another branch), so on this branch
//! alone `graphiql_works_offline_and_its_explorer_shows_the_schema` fails at
//! "the explorer lists the schema's types".

use api::app::Application;
use api::settings::Environment;
use casetrail_tests::browser::{Browser, OFFLINE};
use casetrail_tests::harness::{settings, spawn_app, token, TestDatabase};
use domain::values::Role;
use reqwest::header::HeaderMap;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The files the GraphiQL page loads, with their content types.
const GRAPHIQL_ASSETS: [(&str, &str); 6] = [
    ("/assets/graphiql-3.8.3/graphiql.min.css", "text/css"),
    ("/assets/casetrail-graphiql.css", "text/css"),
    (
        "/assets/react-18.3.1/react.production.min.js",
        "text/javascript",
    ),
    (
        "/assets/react-dom-18.3.1/react-dom.production.min.js",
        "text/javascript",
    ),
    ("/assets/graphiql-3.8.3/graphiql.min.js", "text/javascript"),
    ("/assets/casetrail-graphiql.js", "text/javascript"),
];

const PINNED: &str = include_str!("../../api/static/vendor/graphiql/README.md");

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

/// The sources of a policy's directive, e.g. `script-src` → `['self']`.
fn directive<'a>(policy: &'a str, name: &str) -> Vec<&'a str> {
    policy
        .split(';')
        .map(str::trim)
        .find_map(|d| d.strip_prefix(name).filter(|rest| rest.starts_with(' ')))
        .map(|sources| sources.split_whitespace().collect())
        .unwrap_or_default()
}

/// The `src`/`href` values of an HTML page.
fn references(html: &str) -> Vec<&str> {
    let mut found = Vec::new();
    for attribute in ["src=\"", "href=\""] {
        for (at, _) in html.match_indices(attribute) {
            let rest = &html[at + attribute.len()..];
            found.push(&rest[..rest.find('"').unwrap_or(rest.len())]);
        }
    }
    found
}

/// GETs a page, checks the headers every page carries, returns policy and body.
async fn page(client: &reqwest::Client, url: &str) -> (String, String) {
    let response = client.get(url).send().await.expect("the server answers");
    assert_eq!(response.status(), 200, "{url}");
    let headers = response.headers().clone();
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(&headers, "referrer-policy"), "no-referrer");
    assert_eq!(header(&headers, "x-frame-options"), "DENY");
    let policy = header(&headers, "content-security-policy").to_string();
    let html = response.text().await.expect("a body");
    (policy, html)
}

#[tokio::test]
async fn the_pages_name_no_other_origin_and_allow_only_their_own() {
    let app = spawn_app().await;
    let (policy, html) = page(&app.client, &format!("{}/", app.address)).await;
    for (name, sources) in [
        ("default-src", vec!["'none'"]),
        ("script-src", vec!["'self'"]),
        ("connect-src", vec!["'self'"]),
        ("style-src", vec!["'self'", "'unsafe-inline'"]),
        ("frame-ancestors", vec!["'none'"]),
        ("base-uri", vec!["'none'"]),
    ] {
        assert_eq!(directive(&policy, name), sources, "{name} in {policy}");
    }
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "{html}"
    );
    assert!(
        !html.contains("<script>") && !html.contains("<style"),
        "no inline script or style"
    );
    let mut referenced = references(&html);
    referenced.sort_unstable();
    let mut expected: Vec<&str> = GRAPHIQL_ASSETS.iter().map(|(path, _)| *path).collect();
    expected.sort_unstable();
    assert_eq!(referenced, expected);

    for (path, content_type) in GRAPHIQL_ASSETS {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200, "{path}");
        let headers = response.headers().clone();
        assert!(
            header(&headers, "content-type").starts_with(content_type),
            "{path}"
        );
        assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
        let body = response.bytes().await.expect("a body");
        let vendor = path.contains("-3.8.3/") || path.contains("-18.3.1/");
        if vendor {
            // Pinned: cached for a year, and exactly the file its README lists.
            assert!(
                header(&headers, "cache-control").contains("immutable"),
                "{path}"
            );
            let sha = hex::encode(Sha256::digest(&body));
            assert!(
                PINNED.contains(&sha),
                "{path}: sha256 {sha} is not in the README"
            );
        } else {
            let etag = header(&headers, "etag").to_string();
            let again = app
                .client
                .get(format!("{}{path}", app.address))
                .header("if-none-match", &etag)
                .send()
                .await
                .expect("the server answers");
            assert_eq!(again.status(), 304, "{path} revalidates");
        }
    }

    // The dashboard: the same, without even inline style.
    let (policy, html) = page(&app.client, &format!("{}/dashboard", app.address)).await;
    assert_eq!(directive(&policy, "script-src"), ["'self'"]);
    assert_eq!(directive(&policy, "style-src"), ["'self'"]);
    assert_eq!(directive(&policy, "frame-ancestors"), ["'none'"]);
    assert!(!html.contains("https://") && !html.contains("style=\""));
    assert!(!html.contains("<script>") && !html.contains("<style"));
    for path in references(&html) {
        let response = app
            .client
            .get(format!("{}{path}", app.address))
            .send()
            .await
            .expect("the server answers");
        assert_eq!(response.status(), 200, "{path}");
    }
    assert_eq!(
        app.client
            .get(format!("{}/assets/nothing-here.js", app.address))
            .send()
            .await
            .expect("the server answers")
            .status(),
        404
    );
}

#[tokio::test]
async fn in_production_graphiql_and_its_assets_are_not_served() {
    let db = TestDatabase::create().await;
    let mut production = settings(&db.url);
    production.environment = Environment::Production;
    let server = Application::build(production)
        .await
        .expect("the application starts");
    let address = format!("http://127.0.0.1:{}", server.port());
    let running = tokio::spawn(server.run_until_stopped());
    let client = casetrail_tests::harness::client();
    let status = |path: &'static str| {
        let request = client.get(format!("{address}{path}")).send();
        async move { request.await.expect("the server answers").status().as_u16() }
    };
    assert_eq!(status("/").await, 404);
    for (path, _) in GRAPHIQL_ASSETS {
        assert_eq!(status(path).await, 404, "{path}");
    }
    assert_eq!(status("/dashboard").await, 200);
    assert_eq!(status("/assets/dashboard.js").await, 200);
    running.abort();
}

#[tokio::test]
async fn graphiql_works_offline_and_its_explorer_shows_the_schema() {
    let app = spawn_app().await;
    let mut browser = Browser::launch(&OFFLINE).await;
    let tab = browser.new_page().await;

    // With these flags, the page GraphiQL used to be (React and GraphiQL
    // from a CDN) cannot load: a CDN script fails, by name or by address.
    for cdn in [
        "https://unpkg.com/react@18/umd/react.production.min.js",
        "http://104.16.0.35/react@18/umd/react.production.min.js",
    ] {
        let loaded = browser
            .eval(
                &tab,
                &format!(
                    "new Promise(done => {{ const s = document.createElement('script'); \
                     s.onload = () => done('loaded'); s.onerror = () => done('failed'); \
                     s.src = {}; document.head.appendChild(s); }})",
                    json!(cdn)
                ),
            )
            .await;
        assert_eq!(
            loaded, "failed",
            "{cdn} is reachable: the browser is not offline"
        );
    }

    // Any Content-Security-Policy violation on the page is recorded.
    browser.call(Some(&tab), "Page.enable", json!({})).await;
    browser
        .call(
            Some(&tab),
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": "window.violations = []; document.addEventListener('securitypolicyviolation', \
                                e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));" }),
        )
        .await;
    browser.call(Some(&tab), "Network.enable", json!({})).await;
    let counsellor = token(Role::Counsellor);
    let url = format!("{}/#token={counsellor}", app.address);
    browser
        .call(Some(&tab), "Page.navigate", json!({ "url": url }))
        .await;

    let docs = "document.querySelector('[aria-label=\"Show Documentation Explorer\"]')";
    browser.wait_for(&tab, &format!("!!{docs}")).await;
    assert_eq!(
        browser.eval(&tab, "window.location.href").await,
        json!(format!("{}/", app.address)),
        "the token is removed from the address bar"
    );
    browser.eval(&tab, &format!("{docs}.click(); true")).await;
    let Some(types) = browser
        .try_wait_for(
            &tab,
            "(() => { const e = document.querySelector('.graphiql-doc-explorer'); \
               return e && e.innerText.includes('All Schema Types') && e.innerText; })()",
        )
        .await
    else {
        let page = browser.eval(&tab, "document.body.innerText").await;
        panic!(
            "the explorer lists no schema types within 30 s (introspection must be exempt \
             from the depth limit); the page reads: {page}"
        );
    };
    let types = types.as_str().unwrap_or_default();
    let lines: Vec<&str> = types.lines().map(str::trim).collect();
    for name in [
        "query: Query",
        "mutation: Mutation",
        "Case",
        "Call",
        "Person",
        "Referral",
    ] {
        assert!(
            lines.contains(&name),
            "the explorer lists the schema's types: {name} missing in {types}"
        );
    }

    let png = browser
        .call(
            Some(&tab),
            "Page.captureScreenshot",
            json!({ "format": "png" }),
        )
        .await;
    let png = base64::Engine::decode(
        &base64::engine::general_purpose::STANDARD,
        png["data"].as_str().unwrap_or_default(),
    )
    .expect("a base64 screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let shot = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("graphiql-explorer.png");
    std::fs::write(&shot, &png).expect("the screenshot is written");
    eprintln!("screenshot: {}", shot.display());

    // The settings dialog inserts a <style> (the reason for style-src
    // 'unsafe-inline'); nothing on the page breaks the policy.
    browser
        .eval(
            &tab,
            "document.querySelector('[aria-label=\"Open settings dialog\"]').click()",
        )
        .await;
    browser
        .wait_for(&tab, "!!document.querySelector('[role=\"dialog\"]')")
        .await;
    assert!(
        browser
            .eval(&tab, "document.querySelectorAll('style').length > 0")
            .await
            == json!(true),
        "GraphiQL no longer inserts <style>: drop 'unsafe-inline' from its style-src"
    );
    assert_eq!(browser.eval(&tab, "window.violations").await, json!([]));
    let stored = browser.eval(&tab, "JSON.stringify(localStorage)").await;
    let signature = counsellor.rsplit('.').next().unwrap_or_default();
    assert!(
        !stored.as_str().unwrap_or_default().contains(signature),
        "the token is not kept in localStorage"
    );

    // Everything the page asked for came from the server (fonts are data: URIs).
    let requested = browser.requested_urls();
    assert!(
        requested.iter().any(|u| u.ends_with("/graphql")),
        "{requested:?}"
    );
    let elsewhere: Vec<&String> = requested
        .iter()
        .filter(|u| !u.starts_with(&format!("{}/", app.address)) && !u.starts_with("data:"))
        .collect();
    assert!(
        elsewhere.is_empty(),
        "requests left the server: {elsewhere:?}"
    );
    browser.close().await;
}
