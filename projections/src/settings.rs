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
    /// How often to look for new events when no notification arrives, and
    /// for a standby process to try to take a projection over.
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
