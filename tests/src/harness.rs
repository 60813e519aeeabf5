//! Starting the real server against a fresh database, and talking to it.

use std::time::Duration;

use api::settings::{Environment, JwtSettings, Settings};
use api::Application;
use domain::values::{Agency, Role};
use serde_json::{json, Value};
use uuid::Uuid;

/// The PostgreSQL server the suites use (trust auth, local).
pub fn server_url() -> String {
    std::env::var("CASETRAIL_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A database of its own for one test, dropped when the test ends (also on failure).
pub struct TestDatabase {
    pub name: String,
    pub url: String,
}

impl TestDatabase {
    /// Creates and migrates a fresh database.
    pub async fn create() -> Self {
        let name = format!("ct_test_{}", Uuid::new_v4().simple());
        let url = format!("{}/{name}", server_url());
        store::db::ensure_database(&url)
            .await
            .expect("test database can be created");
        store::db::migrate(&url).await.expect("migrations apply");
        Self { name, url }
    }

    /// A superuser connection to this database (for tampering and inspection).
    pub async fn owner(&self) -> sqlx::PgPool {
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect(&self.url)
            .await
            .expect("owner connection")
    }

    /// A connection as the server's own role.
    pub async fn as_app_role(&self) -> sqlx::PgPool {
        store::db::app_pool(&self.url, 2)
            .await
            .expect("app role connection")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        let admin = format!("{}/postgres", server_url());
        // Drop runs inside the test's runtime; use a thread with its own.
        let dropped = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async move {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&admin)
                    .await
                    .ok()?;
                sqlx::query(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&pool)
                    .await
                    .ok()?;
                pool.close().await;
                Some(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Some(()))) {
            eprintln!("warning: test database {} was not dropped", self.name);
        }
    }
}

pub const TEST_SECRET: &str = "test-secret-test-secret-test-secret!!";

pub fn jwt() -> JwtSettings {
    JwtSettings {
        secret: TEST_SECRET.into(),
        issuer: "casetrail".into(),
        audience: "casetrail".into(),
        rsa_public_pem: None,
        rsa_private_pem: None,
        max_lifetime_seconds: api::settings::DEFAULT_JWT_MAX_LIFETIME_SECONDS,
    }
}

pub fn settings(database_url: &str) -> Settings {
    Settings {
        bind: "127.0.0.1:0".parse().expect("valid address"),
        database_url: database_url.to_string(),
        environment: Environment::Dev,
        jwt: jwt(),
        master_key: [7u8; 32],
        previous_master_key: None,
        lookup_key: [9u8; 32],
        time_zone: chrono_tz::Asia::Ho_Chi_Minh,
        max_connections: 8,
        rate_limit_per_minute: 100_000,
        shutdown_grace: std::time::Duration::from_secs(
            api::settings::DEFAULT_SHUTDOWN_GRACE_SECONDS,
        ),
        query_cost_budget: api::settings::DEFAULT_QUERY_COST_BUDGET,
        referral_ack_hours: api::settings::DEFAULT_REFERRAL_ACK_HOURS,
        read_database_url: None,
        max_replica_lag: std::time::Duration::from_millis(
            api::settings::DEFAULT_MAX_REPLICA_LAG_MS,
        ),
    }
}

/// A running server and its database.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    server: tokio::task::JoinHandle<()>,
    // Declared last: dropped after the server task is aborted.
    pub db: TestDatabase,
}

/// Starts the real application on port 0 against a fresh database.
pub async fn spawn_app() -> TestApp {
    let db = TestDatabase::create().await;
    spawn_on(db).await
}

/// Starts (another) server on an existing database.
pub async fn spawn_on(db: TestDatabase) -> TestApp {
    let (address, server) = start_server(&db.url).await;
    TestApp {
        address,
        client: client(),
        server,
        db,
    }
}

/// Starts a server on `database_url` and returns its address and task.
pub async fn start_server(database_url: &str) -> (String, tokio::task::JoinHandle<()>) {
    let app = Application::build(settings(database_url))
        .await
        .expect("the application starts");
    let address = format!("http://127.0.0.1:{}", app.port());
    let server = tokio::spawn(async move {
        let _ = app.run_until_stopped().await;
    });
    (address, server)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client")
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// A token for `role`, signed with the test secret.
pub fn token(role: Role) -> String {
    let agency = (role == Role::Agency).then_some(Agency::CriminalPolice);
    api::auth::mint(
        &jwt(),
        &format!("test-{}", role.as_str().to_lowercase()),
        role,
        agency,
        600,
    )
    .expect("token")
}

pub fn agency_token(agency: Agency) -> String {
    api::auth::mint(&jwt(), "agency-officer", Role::Agency, Some(agency), 600).expect("token")
}

/// A GraphQL answer: HTTP status and JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    /// The first error's `extensions.code`, if any.
    pub fn code(&self) -> Option<&str> {
        self.body["errors"][0]["extensions"]["code"].as_str()
    }

    /// `data.<field>`, asserting there was no error.
    pub fn data(&self, field: &str) -> &Value {
        assert!(
            self.body.get("errors").is_none(),
            "unexpected errors: {}",
            self.body
        );
        &self.body["data"][field]
    }
}

impl TestApp {
    pub async fn gql(&self, token: &str, query: &str, variables: Value) -> Answer {
        post_graphql(&self.client, &self.address, Some(token), query, variables).await
    }
}

pub async fn post_graphql(
    client: &reqwest::Client,
    address: &str,
    token: Option<&str>,
    query: &str,
    variables: Value,
) -> Answer {
    let mut request = client
        .post(format!("{address}/graphql"))
        .json(&json!({ "query": query, "variables": variables }));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("the server answers");
    let status = response.status().as_u16();
    let body = response.json::<Value>().await.unwrap_or(Value::Null);
    Answer { status, body }
}

/// The value of the `/metrics` line that starts with `line` (a metric name
/// with its labels and a trailing space), from the server at `address`.
pub async fn metric_value(http: &reqwest::Client, address: &str, line: &str) -> u64 {
    let text = http
        .get(format!("{address}/metrics"))
        .send()
        .await
        .expect("metrics answer")
        .text()
        .await
        .expect("metrics text");
    text.lines()
        .find_map(|l| l.strip_prefix(line))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{line} missing from /metrics:\n{text}"))
}
