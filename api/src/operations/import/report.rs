//! What an import did, row by row, for the operator's report.

/// Commands in flight at once, like the demo seed: enough to hide latency,
/// few enough to leave the server's pool to the server.
pub(crate) const IN_FLIGHT: usize = 8;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// Calls recorded by this run.
    pub imported: usize,
    /// Rows whose call was already recorded (an earlier import, or the API).
    pub already_present: usize,
    /// Rows not recorded, in line order.
    pub rejected: Vec<RejectedRow>,
    /// Recorded or present rows that had no id (see the module's note on corrections).
    pub without_id: usize,
    /// Header cells ignored, as written (with a likely meant column when one is near).
    pub ignored_columns: Vec<String>,
    /// The delimiter the file was read with.
    pub delimiter: char,
}

impl Default for ImportReport {
    fn default() -> Self {
        Self {
            imported: 0,
            already_present: 0,
            rejected: Vec::new(),
            without_id: 0,
            ignored_columns: Vec::new(),
            delimiter: ',',
        }
    }
}

/// A row that was not recorded, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedRow {
    /// Line in the file where the row starts; the header is line 1.
    pub line: usize,
    /// Why, in the file's column names, quoting the offending value (the
    /// file's own content: codes, times, numbers; the import reads no names).
    pub reason: String,
}
