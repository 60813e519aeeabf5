//! Helpers of the transparency-log suites (tree_heads.rs, evidence_graphql.rs):
//! the binary with the suites' checkpoint key, signed tree heads, temp dirs.

use store::transparency::TreeHead;
use uuid::Uuid;

use crate::audit::{checkpoint_public_key, run_binary, Run, CHECKPOINT_SEED};
use crate::harness::TestApp;

/// Runs BINARY (the suite's `env!("CARGO_BIN_EXE_casetrail")`) with the suites' checkpoint key.
pub async fn casetrail(binary: &str, args: &[&str]) -> Run {
    run_binary(
        binary,
        args,
        &[
            ("CASETRAIL_CHECKPOINT_KEY", CHECKPOINT_SEED),
            ("CASETRAIL_CHECKPOINT_PUBLIC_KEY", &checkpoint_public_key()),
        ],
    )
    .await
}

pub fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("casetrail-heads-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

pub fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("utf-8 path")
}

pub async fn tree_head(
    binary: &str,
    app: &TestApp,
    dir: &std::path::Path,
    name: &str,
) -> (std::path::PathBuf, TreeHead) {
    tree_head_of(binary, &app.db.url, dir, name).await
}

/// A signed tree head of the database at `url`, written to DIR/NAME.
pub async fn tree_head_of(
    binary: &str,
    url: &str,
    dir: &std::path::Path,
    name: &str,
) -> (std::path::PathBuf, TreeHead) {
    let file = dir.join(name);
    let run = casetrail(
        binary,
        &[
            "checkpoint",
            "--database-url",
            url,
            "--tree-head",
            path(&file),
            "--only-tree-head",
        ],
    )
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
    assert!(
        run.stdout.trim().is_empty(),
        "no checkpoint with --only-tree-head: {run:?}"
    );
    let head: TreeHead = serde_json::from_str(&std::fs::read_to_string(&file).expect("written"))
        .expect("a tree head");
    (file, head)
}

pub fn signer() -> store::checkpoint::SigningKey {
    let seed: [u8; 32] = hex::decode(CHECKPOINT_SEED)
        .expect("hex")
        .try_into()
        .expect("32 bytes");
    store::checkpoint::SigningKey::from_bytes(&seed)
}

/// `casetrail audit witness --keep KEEP --tree-head HEAD` against the database at `url`.
pub async fn witness(
    binary: &str,
    keep: &std::path::Path,
    head: &std::path::Path,
    url: &str,
) -> Run {
    casetrail(
        binary,
        &[
            "audit",
            "witness",
            "--keep",
            path(keep),
            "--tree-head",
            path(head),
            "--database-url",
            url,
        ],
    )
    .await
}

/// Rebuilds the `merkle_log` projection of the database at `url` from the
/// log as it is now (as its owner, as an operator or an attacker would),
/// once every event is one the projectors' feed takes: its transaction
/// older than every transaction still running anywhere in the cluster
/// (other suites' included), or the rebuild would leave it for later.
pub async fn rebuild_transparency_log(binary: &str, url: &str) {
    let pool = sqlx::PgPool::connect(url).await.expect("owner connection");
    let owner = &pool;
    let settled = crate::waiting::until(
        std::time::Duration::from_secs(60),
        std::time::Duration::from_millis(50),
        move || async move {
            sqlx::query_scalar(
                "SELECT coalesce(max(transaction_id) < pg_snapshot_xmin(pg_current_snapshot()), true) FROM events",
            )
            .fetch_one(owner)
            .await
            .expect("transaction ids")
        },
    )
    .await;
    pool.close().await;
    assert!(
        settled,
        "every event's transaction became older than the running ones"
    );
    let run = run_binary(
        binary,
        &[
            "projections",
            "rebuild",
            "merkle_log",
            "--database-url",
            url,
        ],
        &[],
    )
    .await;
    assert_eq!(run.code, Some(0), "{run:?}");
}
