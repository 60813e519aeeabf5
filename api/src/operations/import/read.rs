//! Reading a call log as a spreadsheet writes it: the delimiter detected
//! (comma, semicolon — what Excel writes where the decimal separator is a
//! comma, as in Vietnam — or tab), a UTF-8 byte-order mark skipped, lines
//! ended by LF, CRLF or a lone CR, every row parsed and checked, duplicates
//! found. No database: a dry run (`--check`) is exactly this.
//!
//! Row parsing is the csv crate's; the delimiter guess is hand-written because
//! csv does not sniff, and choosing among three candidates is a dozen lines.

use std::collections::HashMap;

use chrono_tz::Tz;
use domain::reference::book::ReferenceBook;
use uuid::Uuid;

use super::report::RejectedRow;
use super::rows::ImportError;
use super::rows::{columns, line_of, plan, Planned};

/// A call log read and checked, ready to record.
pub struct CallLog {
    /// Rows to record, in file order.
    pub(super) planned: Vec<Planned>,
    /// Rows refused before any command ran.
    pub rejected: Vec<RejectedRow>,
    /// The delimiter the file uses.
    pub delimiter: char,
    /// Header cells that are not columns of the import, as written: not read.
    pub ignored_columns: Vec<String>,
}

impl CallLog {
    /// Rows that would be recorded (or found already recorded).
    pub fn recordable(&self) -> usize {
        self.planned.len()
    }

    /// Recordable rows without an id: their id is derived from their content.
    pub fn without_id(&self) -> usize {
        self.planned.iter().filter(|p| p.without_id).count()
    }
}

/// The most frequent of comma, semicolon and tab outside quotes on the
/// header line (comma when none): a header is the one line with no free
/// text, so its separators are the file's.
fn delimiter(bytes: &[u8]) -> u8 {
    let mut quoted = false;
    let mut counts = [(b',', 0usize), (b';', 0), (b'\t', 0)];
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            b'\n' | b'\r' if !quoted => break,
            _ if !quoted => {
                for (d, n) in counts.iter_mut() {
                    if *d == b {
                        *n += 1;
                    }
                }
            }
            _ => {}
        }
    }
    // Ties go to the earlier (comma first): max_by_key keeps the last maximum.
    counts
        .iter()
        .rev()
        .max_by_key(|(_, n)| *n)
        .map_or(b',', |(d, _)| *d)
}

/// Reads and checks the whole log in `bytes`; local times are in
/// `time_zone`, provinces are checked against `book` on each row's day.
pub fn read_log(
    mut bytes: Vec<u8>,
    time_zone: Tz,
    book: &ReferenceBook,
) -> Result<CallLog, ImportError> {
    if !bytes.contains(&b'\n') {
        // Classic Mac spreadsheets end lines with CR alone; line numbers count LF.
        bytes
            .iter_mut()
            .filter(|b| **b == b'\r')
            .for_each(|b| *b = b'\n');
    }
    let bytes = bytes.as_slice();
    let delimiter = delimiter(bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes));
    let mut csv = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let headers = csv
        .headers()
        .map_err(|e| ImportError::Unreadable(e.to_string()))?
        .clone();
    let columns = columns(&headers)?;
    let mut log = CallLog {
        planned: Vec::new(),
        rejected: Vec::new(),
        delimiter: char::from(delimiter),
        ignored_columns: columns.ignored.clone(),
    };
    let mut seen: HashMap<Uuid, (usize, String)> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        let line = line_of(bytes, csv.position());
        match csv.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let reason = match e.kind() {
                    csv::ErrorKind::UnequalLengths { len, .. } => {
                        format!("the row has {len} fields, the header {}", headers.len())
                    }
                    csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8 text".to_string(),
                    _ => return Err(ImportError::Unreadable(e.to_string())),
                };
                let line = e.position().map_or(line, |p| line_of(bytes, p));
                log.rejected.push(RejectedRow { line, reason });
                continue;
            }
        }
        let line = record.position().map_or(line, |p| line_of(bytes, p));
        let row = match plan(line, &columns, &record, time_zone, book) {
            Ok(row) => row,
            Err(reason) => {
                log.rejected.push(RejectedRow { line, reason });
                continue;
            }
        };
        let content = serde_json::to_string(&row.input).unwrap_or_default();
        match seen.get(&row.id) {
            Some((first, same)) if *same == content && row.without_id => {
                log.rejected.push(RejectedRow {
                    line,
                    reason: format!(
                        "identical to line {first}: without an id two identical rows are one \
                         call (a copy, recorded once). If they are two genuine calls, add an id \
                         column and give each row its own UUID"
                    ),
                })
            }
            Some((first, same)) if *same == content => log.rejected.push(RejectedRow {
                line,
                reason: format!("duplicate of line {first}: the same id and values, recorded once"),
            }),
            Some((first, _)) => log.rejected.push(RejectedRow {
                line,
                reason: format!(
                    "id {} is also used on line {first} with other values",
                    row.id
                ),
            }),
            None => {
                seen.insert(row.id, (line, content));
                log.planned.push(row);
            }
        }
    }
    Ok(log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_delimiter_is_the_headers_most_frequent_separator_outside_quotes() {
        assert_eq!(delimiter(b"a,b,c\n1;2;3;4;5\n"), b',');
        assert_eq!(delimiter(b"a;b;c\r\n1,5;2;3\r\n"), b';');
        assert_eq!(delimiter(b"a\tb\tc\n"), b'\t');
        assert_eq!(delimiter(b"\"x;y;z\",b,c\n"), b',');
        assert_eq!(delimiter(b"single\n"), b',');
    }
}
