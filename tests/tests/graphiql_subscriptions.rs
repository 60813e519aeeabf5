//! GraphiQL's subscriptions in headless Chromium (no network but
//! 127.0.0.1): a subscription typed in the editor runs over the page's
//! WebSocket to `/graphql`, authenticated with the Headers tab's token, and
//! shows a call recorded afterwards, with no Content-Security-Policy violation.

use casetrail_tests::browser::{Browser, OFFLINE};
use casetrail_tests::fixtures::a_call;
use casetrail_tests::harness::{spawn_app, token};
use casetrail_tests::live::live_position;
use domain::values::Role;
use serde_json::json;

#[tokio::test]
async fn a_subscription_run_in_graphiql_shows_the_next_call() {
    let app = spawn_app().await;
    let mut browser = Browser::launch(&OFFLINE).await;
    let tab = browser.new_page().await;
    browser.call(Some(&tab), "Page.enable", json!({})).await;
    browser.call(Some(&tab), "Network.enable", json!({})).await;
    browser
        .call(
            Some(&tab),
            "Page.addScriptToEvaluateOnNewDocument",
            json!({ "source": "window.violations = []; document.addEventListener('securitypolicyviolation', \
                                e => window.violations.push(e.violatedDirective + ' ' + e.blockedURI));" }),
        )
        .await;
    let counsellor = token(Role::Counsellor);
    // The page opens with the subscription in its editor (`#query=`), as a shared link would.
    // From the log's position now, so that the call recorded below is after its start.
    let now = live_position(&app, &counsellor).await;
    let subscription =
        format!("subscription Board {{ callReceived(after: \"{now}\") {{ id channel }} }}");
    let url = format!(
        "{}/#token={counsellor}&query={}",
        app.address,
        subscription
            .replace(' ', "%20")
            .replace('{', "%7B")
            .replace('}', "%7D")
            .replace('"', "%22")
    );
    browser
        .call(Some(&tab), "Page.navigate", json!({ "url": url }))
        .await;
    let editor = "document.querySelector('.graphiql-query-editor')";
    browser
        .wait_for(
            &tab,
            &format!("!!{editor} && {editor}.innerText.includes('callReceived')"),
        )
        .await;
    browser
        .eval(
            &tab,
            "document.querySelector('.graphiql-execute-button').click(); true",
        )
        .await;
    // The socket is open and subscribed once the server counts it.
    let subscribed = browser
        .try_wait_for(
            &tab,
            "fetch('/metrics').then(r => r.text()).then(t => /\\ncasetrail_subscriptions [1-9]/.test(t))",
        )
        .await;
    if subscribed.is_none() {
        let page = browser
            .eval(
                &tab,
                "[...document.querySelectorAll('button')].map(b => b.className + '|' + b.getAttribute('aria-label')).join('; ') \
                 + ' RESULT: ' + (document.querySelector('.result-window') || document.body).innerText.slice(0, 500) \
                 + ' QUERY: ' + document.querySelector('.graphiql-query-editor').innerText.slice(0, 300)",
            )
            .await;
        let violations = browser.eval(&tab, "window.violations").await;
        panic!("GraphiQL did not subscribe within 30 s; violations {violations}, page: {page}");
    }
    let call = a_call(&app, &counsellor).await;
    let shown = browser
        .wait_for(
            &tab,
            &format!(
                "(() => {{ const r = document.querySelector('.result-window'); \
                   return r && r.innerText.includes({}) && r.innerText; }})()",
                json!(call.to_string())
            ),
        )
        .await;
    assert!(
        shown.as_str().unwrap_or_default().contains("callReceived"),
        "{shown}"
    );
    assert_eq!(browser.eval(&tab, "window.violations").await, json!([]));
    browser.close().await;
}
