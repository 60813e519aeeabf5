//! How the projectors run: the one knob set the server, the CLI and the
//! tests hand to [`crate::spawn`] and [`crate::rebuild`].

use std::time::Duration;

/// How the projectors run.
#[derive(Clone, Debug)]
pub struct ProjectionSettings {
    /// The hotline's time zone: statistics and day filters count its calendar days.
    pub time_zone: chrono_tz::Tz,
    /// Most events applied in one transaction (and read by one rebuild step).
    pub batch_size: usize,
    /// How often a standby process tries to take a projection over, a stuck
    /// projection's first backoff, and how often the listener wakes the
    /// projectors while it cannot LISTEN. A running projector that is idle
    /// issues no statement: only the writers' NOTIFY wakes it.
    pub poll_interval: Duration,
}

impl Default for ProjectionSettings {
    fn default() -> Self {
        Self {
            time_zone: chrono_tz::Asia::Ho_Chi_Minh,
            batch_size: 1000,
            poll_interval: Duration::from_secs(1),
        }
    }
}
