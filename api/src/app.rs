//! Building and running the server: one `Application::build(settings)` so
//! that tests start exactly what production starts, on port 0.

use std::future::IntoFuture;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use domain::clock::Clock;
use store::standby::StandbyHealth;
use store::vault::Vault;
use store::EventStore;
use tokio::net::TcpListener;
use tower_http::timeout::TimeoutLayer;

use crate::commands::reads::Reads;
use crate::commands::CommandService;
use crate::graphql::{build_schema, AppState};
use crate::http::{self, HttpState};
use crate::settings::{Environment, Settings};

/// Largest request body accepted.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Longest a request may take before it is answered 408.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] store::db::SetupError),
    /// The NOTIFY every server sends once it has migrated (`store::wake`).
    #[error("cannot notify the log's readers at start-up: {0}")]
    Announce(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {cause}")]
    Bind {
        addr: SocketAddr,
        cause: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    router: Router,
    projections: projections::ProjectionRuntime,
    shutdown_grace: Duration,
}

impl Application {
    /// Creates the database if needed, migrates, starts the projectors and binds.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        store::db::ensure_database(&settings.database_url).await?;
        store::db::migrate(&settings.database_url).await?;
        let pool = store::db::app_pool(&settings.database_url, settings.max_connections).await?;
        let vault = Vault::new(settings.master_key).with_previous(settings.previous_master_key);
        let store = EventStore::new(pool.clone(), domain::upcasters::upcasters())
            .with_snapshot_keys(vault.master_keys());
        // Idle projectors of other processes sleep until a NOTIFY; if this
        // server's previous life died between a commit and its NOTIFY,
        // this one wakes them (`store/src/wake.rs`).
        store.announce().await?;
        let projection_settings = projections::ProjectionSettings {
            time_zone: settings.time_zone,
            ..projections::ProjectionSettings::default()
        };
        let projections = projections::spawn(pool.clone(), store.clone(), projection_settings);
        // A hot standby for reads, if given: never migrated, never written.
        // One health for it (down, lagging), watched against the primary.
        let standby = match &settings.read_database_url {
            Some(url) => {
                let replica_pool = store::db::replica_pool(url, settings.max_connections).await?;
                let health = StandbyHealth::new(replica_pool, settings.max_replica_lag);
                health.watch(pool.clone());
                Some(health)
            }
            None => None,
        };
        // Subscriptions' catch-ups from a cursor read the standby too.
        let live = projections::LiveLog::spawn(
            pool.clone(),
            standby.clone(),
            store.clone(),
            projections::LiveSettings::default(),
        );
        let replica = standby.map(|health| {
            let store = EventStore::new(health.pool().clone(), domain::upcasters::upcasters())
                .with_snapshot_keys(vault.master_keys());
            (store, health)
        });
        let book_store = store.clone();
        let reads = Arc::new(Reads::new(store.clone(), replica));
        let commands =
            CommandService::new(store, vault, Clock::system()).with_lookup_key(settings.lookup_key);
        let dev = settings.environment == Environment::Dev;
        let referral_ack = chrono::Duration::hours(i64::from(settings.referral_ack_hours));
        let state = AppState {
            commands,
            referral_ack,
            reads: Arc::clone(&reads),
            live: live.clone(),
            lookup_limit: crate::rate_limit::RateLimiter::new(crate::graphql::LOOKUPS_PER_MINUTE),
        };
        let schema = build_schema(Some(Arc::new(state)), dev);
        let cost = crate::graphql::cost::CostModel::new(&schema.sdl(), settings.query_cost_budget);
        let state = Arc::new(HttpState {
            schema,
            jwt: settings.jwt.clone(),
            pool,
            graphiql: dev,
            rate_limiter: crate::rate_limit::RateLimiter::new(settings.rate_limit_per_minute),
            cost,
            reads,
            live,
            store: book_store,
            tokens: Default::default(),
            documents: Default::default(),
        });
        let router = Router::new()
            .route("/graphql", post(http::graphql).get(http::live::subscribe))
            .route("/", get(http::graphiql))
            .route("/healthz", get(http::healthz))
            .route("/readyz", get(http::readyz))
            .route("/metrics", get(http::metrics))
            .route("/dashboard", get(crate::dashboard::dashboard))
            .route("/assets/{*path}", get(http::assets::asset))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .layer(TimeoutLayer::with_status_code(
                axum::http::StatusCode::REQUEST_TIMEOUT,
                REQUEST_TIMEOUT,
            ))
            .with_state(state);
        let listener =
            TcpListener::bind(settings.bind)
                .await
                .map_err(|cause| StartupError::Bind {
                    addr: settings.bind,
                    cause,
                })?;
        Ok(Self {
            listener,
            router,
            projections,
            shutdown_grace: settings.shutdown_grace,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until SIGINT or SIGTERM, then drains: no new connection is
    /// accepted, in-flight requests get the shutdown grace to finish, and the
    /// server returns when they have, or when the grace is over, whatever a
    /// client does (a half-sent body, a long poll). The projectors then stop,
    /// within the grace too: a batch cut short rolls back and is re-read.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let addr = self.listener.local_addr()?;
        tracing::info!(%addr, "casetrail is serving GraphQL at /graphql");
        let grace = self.shutdown_grace;
        let stopping = Arc::new(tokio::sync::Notify::new());
        let signalled = Arc::clone(&stopping);
        let server = axum::serve(self.listener, self.router).with_graceful_shutdown(async move {
            shutdown_signal().await;
            signalled.notify_one();
        });
        let deadline = async {
            stopping.notified().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            served = server.into_future() => served?,
            () = deadline => tracing::warn!(
                grace_seconds = grace.as_secs(),
                "requests still in flight when the shutdown grace ended; exiting without them"
            ),
        }
        if tokio::time::timeout(grace, self.projections.shutdown())
            .await
            .is_err()
        {
            tracing::warn!("projectors did not stop within the shutdown grace; abandoned");
        }
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = terminate => {} }
    tracing::info!("shutting down");
}
