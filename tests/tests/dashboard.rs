//! The statistics dashboard in a real browser: headless Chromium loads
//! `/dashboard` from the real server with a token in the URL fragment, the
//! page queries `/graphql`, and its DOM shows the seeded figures, marks
//! small cells as suppressed, explains a bad token, and renders to a PNG.
//!
//! Needs Debian's `chromium` (`apt-get install -y chromium`; `.ci/run`
//! installs it) or `CASETRAIL_CHROMIUM` pointing at a Chromium binary.

use std::path::Path;
use std::time::{Duration, Instant};

use api::commands::CommandService;
use api::operations::seed::{self, seed_demo};
use casetrail_tests::browser::chromium;
use casetrail_tests::fixtures::{id_of, receive_call_doc};
use casetrail_tests::harness::{spawn_app, token, TestApp};
use domain::clock::Clock;
use domain::values::Role;
use serde_json::json;
use store::vault::Vault;
use store::EventStore;

/// Region, province, category and count of the seeded calls (all inside the report's period).
const CALLS: [(&str, Option<&str>, &str, usize); 3] = [
    ("RED_RIVER_DELTA", Some("HA_NOI"), "INFORMATION", 4),
    ("RED_RIVER_DELTA", None, "COUNSELLING", 2),
    ("NORTHEAST", None, "REFERRAL_REQUEST", 2),
];

/// Runs headless Chromium on `url` with `action` (`--dump-dom` or `--screenshot=FILE`); returns stdout.
async fn browse(profile: &Path, url: &str, action: &str) -> String {
    let mut command = tokio::process::Command::new(chromium());
    command
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
        ])
        .args([
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .args([
            "--hide-scrollbars",
            "--window-size=1280,2200",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(action)
        .arg(url)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(90), command.output())
        .await
        .expect("chromium finishes within 90 s")
        .expect("chromium runs");
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The text of the element with `id` in a dumped DOM (up to its first child tag).
fn text_of<'a>(dom: &'a str, id: &str) -> &'a str {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page:\n{dom}"));
    let rest = &dom[at..];
    let start = rest.find('>').map_or(rest.len(), |i| i + 1);
    let rest = &rest[start..];
    rest[..rest.find('<').unwrap_or(rest.len())].trim()
}

/// The opening tag of the element with `id`.
fn tag_of<'a>(dom: &'a str, id: &str) -> &'a str {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in the page"));
    let open = dom[..at].rfind('<').unwrap_or(0);
    &dom[open..at + dom[at..].find('>').unwrap_or(0)]
}

/// Records the calls of [`CALLS`] and one referral case to the Criminal Police, through the API.
async fn seed(app: &TestApp, supervisor: &str) -> usize {
    let mut total = 0;
    let mut referral_call = None;
    for (i, (region, province, category, count)) in CALLS.iter().enumerate() {
        for n in 0..*count {
            let at = format!("2020-0{}-1{n}T09:00:00+07:00", i + 3);
            let mut input = json!({"receivedAt": at, "channel": "VOICE", "callerType": "CITIZEN", "category": category});
            match province {
                Some(p) => input["province"] = json!(p),
                None => input["region"] = json!(region),
            }
            if *category == "COUNSELLING" {
                input["topics"] = json!(["PSYCHOLOGICAL"]);
            }
            let call = id_of(
                app.gql(supervisor, &receive_call_doc(), json!({"input": input}))
                    .await
                    .data("receiveCall"),
            );
            if *category == "REFERRAL_REQUEST" {
                referral_call = Some(call);
            }
            total += 1;
        }
    }
    let case = app
        .gql(
            supervisor,
            "mutation($input: OpenCaseInput!) { openCase(input: $input) { id } }",
            json!({"input": {"fromCallId": referral_call, "openedAt": "2020-05-11T10:00:00+07:00",
                              "persons": [{"role": "VICTIM", "gender": "FEMALE"}]}}),
        )
        .await;
    let case = id_of(case.data("openCase"));
    app.gql(
        supervisor,
        "mutation($input: SendReferralInput!) { sendReferral(input: $input) { id } }",
        json!({"input": {"caseId": case, "agency": "CRIMINAL_POLICE", "referredAt": "2020-05-11T11:00:00+07:00",
                          "personsAtRisk": 1, "consent": {"given": true}}}),
    )
    .await
    .data("sendReferral");
    total
}

/// Waits until the statistics read model shows `calls` calls and `referrals` referrals.
async fn wait_for_statistics(
    app: &TestApp,
    reader: &str,
    calls: usize,
    referrals: usize,
    within: Duration,
) {
    let deadline = Instant::now() + within;
    let query = "{ statistics(from: \"2018-11-01\", to: \"2022-02-14\") { totalCalls referrals } }";
    loop {
        let answer = app.gql(reader, query, json!({})).await;
        let stats = &answer.body["data"]["statistics"];
        if stats["totalCalls"] == json!(calls) && stats["referrals"] == json!(referrals) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "statistics did not catch up: {}",
            answer.body
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn the_dashboard_shows_the_seeded_figures_marks_suppressed_cells_and_renders_a_screenshot() {
    let started = Instant::now();
    let app = spawn_app().await;
    let supervisor = token(Role::Supervisor);
    let calls = seed(&app, &supervisor).await;
    wait_for_statistics(&app, &supervisor, calls, 1, Duration::from_secs(30)).await;
    let profile = std::env::temp_dir().join(format!(
        "casetrail-chromium-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let page = format!("{}/dashboard", app.address);

    let dom = browse(
        &profile,
        &format!("{page}#token={supervisor}"),
        "--dump-dom",
    )
    .await;
    assert!(
        dom.contains("data-state=\"ready\""),
        "the page did not finish loading:\n{dom}"
    );
    assert_eq!(text_of(&dom, "total-calls"), calls.to_string());
    assert_eq!(text_of(&dom, "total-counselling-calls"), "2");
    assert_eq!(text_of(&dom, "total-cases-opened"), "1");
    assert_eq!(text_of(&dom, "total-referrals"), "1");
    assert_eq!(text_of(&dom, "period"), "2018-11-01 – 2022-02-14");
    assert!(
        tag_of(&dom, "region-RED_RIVER_DELTA").contains("data-count=\"6\""),
        "{}",
        tag_of(&dom, "region-RED_RIVER_DELTA")
    );
    assert!(dom.contains("6 (75.0%)"), "the region's share is shown");
    assert!(tag_of(&dom, "agency-CRIMINAL_POLICE").contains("data-referrals=\"1\""));
    assert_eq!(
        dom.matches("data-series=\"calls\"").count(),
        40,
        "one point per month of the period"
    );

    // Above the minimum cell size, the two NORTHEAST calls are suppressed, and said to be.
    let dom = browse(
        &profile,
        &format!("{page}#token={supervisor}&minCellSize=3"),
        "--dump-dom",
    )
    .await;
    assert!(tag_of(&dom, "region-NORTHEAST").contains("data-suppressed=\"true\""));
    assert!(
        dom.contains("suppressed (&lt; 3)"),
        "suppression is visible:\n{dom}"
    );
    assert!(tag_of(&dom, "region-RED_RIVER_DELTA").contains("data-count=\"6\""));
    assert!(tag_of(&dom, "agency-CRIMINAL_POLICE").contains("data-suppressed=\"true\""));

    // A bad token and a role without statistics are explained plainly.
    let dom = browse(&profile, &format!("{page}#token=not-a-token"), "--dump-dom").await;
    assert!(
        dom.contains("data-state=\"error\"") && text_of(&dom, "status").contains("401"),
        "{}",
        text_of(&dom, "status")
    );
    let dom = browse(
        &profile,
        &format!("{page}#token={}", token(Role::Admin)),
        "--dump-dom",
    )
    .await;
    assert!(
        text_of(&dom, "status").starts_with("Forbidden"),
        "{}",
        text_of(&dom, "status")
    );

    // Kept after the test (target/tmp/) so that a person can look at it.
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    std::fs::create_dir_all(env!("CARGO_TARGET_TMPDIR")).expect("target/tmp exists");
    let _ = std::fs::remove_file(&png);
    browse(
        &profile,
        &format!("{page}#token={supervisor}"),
        &format!("--screenshot={}", png.display()),
    )
    .await;
    let bytes = std::fs::read(&png).expect("the screenshot is written");
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000,
        "not a PNG of the page ({} bytes)",
        bytes.len()
    );
    let _ = std::fs::remove_dir_all(&profile);
    eprintln!(
        "dashboard test took {:?}; screenshot at {}",
        started.elapsed(),
        png.display()
    );
}

/// The acceptance view: the demo history (the ministry report's period) as an AUDITOR sees it,
/// exactly (an ANALYST's figures are disclosure-controlled: docs/STATISTICS.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_ministry_reports_figures_from_the_demo_seed() {
    let started = Instant::now();
    let app = spawn_app().await;
    let pool = store::db::app_pool(&app.db.url, 10).await.expect("pool");
    let commands = CommandService::new(
        EventStore::new(pool, vec![]),
        Vault::new([7; 32]),
        Clock::system(),
    );
    let report = seed_demo(&commands, |_, _, _| {})
        .await
        .expect("the demo seed runs");
    let analyst = token(Role::Auditor);
    wait_for_statistics(
        &app,
        &analyst,
        seed::CALLS,
        seed::REFERRAL_CASES + seed::SECOND_REFERRALS,
        Duration::from_secs(120),
    )
    .await;
    let profile = std::env::temp_dir().join(format!(
        "casetrail-chromium-{}",
        uuid::Uuid::new_v4().simple()
    ));

    let dom = browse(
        &profile,
        &format!("{}/dashboard#token={analyst}", app.address),
        "--dump-dom",
    )
    .await;
    assert!(
        dom.contains("data-state=\"ready\""),
        "the page did not finish loading:\n{dom}"
    );
    assert_eq!(text_of(&dom, "total-calls"), "9,154");
    assert_eq!(text_of(&dom, "total-counselling-calls"), "1,069");
    assert_eq!(text_of(&dom, "total-cases-opened"), "129");
    // 129 referral cases, 13 of them also referred to a second agency.
    assert_eq!(text_of(&dom, "total-referrals"), "142");
    // Rescues dated in the period: the demo's last rescue came after it.
    let rescued = seed::PERSONS_RESCUED - report.persons_rescued_after_period;
    assert_eq!(text_of(&dom, "total-persons-rescued"), rescued.to_string());
    for shown in [
        "2,682 (29.3%)",
        "1,465 (16.0%)",
        "1,199 (13.1%)",
        "1,062 (11.6%)",
        "952 (10.4%)",
        "732 (8.0%)",
        "549 (6.0%)",
        "504 (5.5%)",
        "9 (0.1%)",
    ] {
        assert!(dom.contains(shown), "calls by region lacks {shown}");
    }
    for agency in [
        "CRIMINAL_POLICE",
        "BORDER_GUARD",
        "WOMENS_UNION",
        "DEPARTMENT_OF_CHILDREN",
    ] {
        assert!(
            tag_of(&dom, &format!("agency-{agency}")).contains("data-suppressed=\"false\""),
            "{agency}"
        );
    }
    let png = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard-demo.png");
    let _ = std::fs::remove_file(&png);
    let url = format!("{}/dashboard#token={analyst}", app.address);
    browse(&profile, &url, &format!("--screenshot={}", png.display())).await;
    let bytes = std::fs::read(&png).expect("the screenshot is written");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 10_000);
    let _ = std::fs::remove_dir_all(&profile);
    eprintln!(
        "demo dashboard test took {:?}; screenshot at {}",
        started.elapsed(),
        png.display()
    );
}
