//! Opaque keyset cursors: the sort key of the last row seen (time, id),
//! tagged with the list they belong to so that one list's cursor is refused
//! by another. Base64 so that clients treat them as tokens, not data.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Datelike, Utc};
use uuid::Uuid;

use crate::error::ProjectionError;

/// Longest `after` accepted, in characters.
pub const MAX_CURSOR_LEN: usize = 200;

/// The position after which a page starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn encode(self, list: &str) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{list}:{}:{}",
            self.at.timestamp_micros(),
            self.id.simple()
        ))
    }

    pub fn decode(list: &str, text: &str) -> Result<Cursor, ProjectionError> {
        // A cursor this module wrote is under 100 characters; a forged one is
        // refused before decoding, and so is a time PostgreSQL cannot hold.
        if text.len() > MAX_CURSOR_LEN {
            return Err(ProjectionError::BadCursor);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(text.as_bytes())
            .map_err(|_| ProjectionError::BadCursor)?;
        let text = String::from_utf8(bytes).map_err(|_| ProjectionError::BadCursor)?;
        let mut parts = text.splitn(3, ':');
        let (Some(tag), Some(micros), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(ProjectionError::BadCursor);
        };
        if tag != list {
            return Err(ProjectionError::BadCursor);
        }
        let micros: i64 = micros.parse().map_err(|_| ProjectionError::BadCursor)?;
        let at = DateTime::from_timestamp_micros(micros)
            .filter(|at| (1900..=2100).contains(&at.year()))
            .ok_or(ProjectionError::BadCursor)?;
        let id = Uuid::try_parse(id).map_err(|_| ProjectionError::BadCursor)?;
        Ok(Cursor { at, id })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_only_in_its_own_list() {
        let cursor = Cursor {
            at: DateTime::from_timestamp_micros(1_644_858_600_123_456).unwrap_or_default(),
            id: Uuid::now_v7(),
        };
        let text = cursor.encode("calls");
        assert_eq!(Cursor::decode("calls", &text).ok(), Some(cursor));
        assert!(matches!(
            Cursor::decode("cases", &text),
            Err(ProjectionError::BadCursor)
        ));
        for junk in [
            "",
            "!!",
            "Y2FsbHM6eDp5",
            &URL_SAFE_NO_PAD.encode("calls:1:not-a-uuid"),
        ] {
            assert!(
                matches!(
                    Cursor::decode("calls", junk),
                    Err(ProjectionError::BadCursor)
                ),
                "{junk}"
            );
        }
    }
}
