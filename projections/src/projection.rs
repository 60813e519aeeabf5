//! The projections casetrail keeps, what each reads and where it writes.

use sqlx::PgConnection;
use store::EventStore;

use crate::error::ProjectionError;
use crate::feed::{Fact, Logged, Streams};
use crate::models;
use crate::target::Target;

/// The names of the projections, for the CLI and the API (re-exported at
/// the crate root).
pub const PROJECTIONS: [&str; 5] = ["calls", "cases", "referrals", "statistics", "merkle_log"];

/// Advisory-lock class of "this process runs projection N". Part of the
/// deployment contract: every server version must use the same keys, or
/// two versions could run one projection side by side during an upgrade.
pub(crate) const RUN_LOCK_CLASS: i32 = 0x6374_7072; // "ctpr"
/// Advisory-lock class of "a rebuild of projection N is running".
pub(crate) const REBUILD_LOCK_CLASS: i32 = 0x6374_7262; // "ctrb"

/// One read model and the code that maintains it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Projection {
    Calls,
    Cases,
    Referrals,
    Statistics,
    /// The transparency log's leaves (store::transparency).
    MerkleLog,
}

impl Projection {
    pub const ALL: [Projection; 5] = [
        Projection::Calls,
        Projection::Cases,
        Projection::Referrals,
        Projection::Statistics,
        Projection::MerkleLog,
    ];

    /// The name used in status, the CLI and `projection_checkpoints`.
    pub fn name(self) -> &'static str {
        match self {
            Projection::Calls => "calls",
            Projection::Cases => "cases",
            Projection::Referrals => "referrals",
            Projection::Statistics => "statistics",
            Projection::MerkleLog => "merkle_log",
        }
    }

    pub fn parse(name: &str) -> Result<Projection, ProjectionError> {
        Projection::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| ProjectionError::UnknownProjection(name.chars().take(40).collect()))
    }

    /// The second half of the projection's advisory-lock keys. Never renumber.
    pub fn lock_id(self) -> i32 {
        match self {
            Projection::Calls => 1,
            Projection::Cases => 2,
            Projection::Referrals => 3,
            Projection::Statistics => 4,
            Projection::MerkleLog => 5,
        }
    }

    /// The tables the projection owns: a rebuild replaces exactly these.
    pub fn tables(self) -> &'static [&'static str] {
        match self {
            Projection::Calls => &["calls"],
            Projection::Cases => &["cases", "follow_ups"],
            Projection::Referrals => &["referrals"],
            Projection::Statistics => &[
                "statistics_calls_by_category",
                "statistics_calls_by_channel",
                "statistics_counselling_sessions",
                "statistics_cases_opened",
                "statistics_referrals",
                "statistics_facts",
                "statistics_cells",
            ],
            Projection::MerkleLog => &["merkle_leaves"],
        }
    }

    /// The streams whose events it decodes.
    pub fn streams(self) -> Streams {
        match self {
            Projection::Calls => Streams {
                calls: true,
                ..Streams::default()
            },
            Projection::Cases | Projection::Referrals => Streams {
                cases: true,
                ..Streams::default()
            },
            Projection::Statistics => Streams::FACTS,
            // Every stream, of any type, but nothing decoded: a leaf needs
            // only the event's coordinates and chain hash.
            Projection::MerkleLog => Streams {
                hashes: true,
                ..Streams::default()
            },
        }
    }

    /// Whether the event can change the model: the transparency log takes
    /// every event (a leaf each), the others only what they decode. A batch
    /// none of whose events it takes only moves the checkpoint.
    pub fn takes(self, event: &Logged) -> bool {
        self == Projection::MerkleLog || !matches!(event.fact, Fact::Ignored)
    }

    /// Applies a batch of readable events inside the caller's transaction.
    pub async fn apply(
        self,
        conn: &mut PgConnection,
        store: &EventStore,
        events: &[Logged],
        target: &Target,
    ) -> Result<(), ProjectionError> {
        match self {
            Projection::Calls => models::calls::apply(conn, events, target).await,
            Projection::Cases => {
                models::cases::apply(conn, events, target).await?;
                models::casework::apply(conn, events, target).await
            }
            Projection::Referrals => models::referrals::apply(conn, events, target).await,
            Projection::Statistics => models::statistics::apply(conn, store, events, target).await,
            Projection::MerkleLog => models::merkle_log::apply(conn, events, target).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_published_names_are_the_projections() {
        assert_eq!(PROJECTIONS, Projection::ALL.map(Projection::name));
        for projection in Projection::ALL {
            assert_eq!(Projection::parse(projection.name()).ok(), Some(projection));
        }
        assert!(Projection::parse("persons").is_err());
    }
}
