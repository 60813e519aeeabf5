//! A Call: one contact with the hotline on any channel.

mod aggregate;
mod codes;
mod commands;
mod correcting;
mod correction;
mod events;
#[cfg(test)]
mod tests;

pub use aggregate::{topic_codes, Call, CounsellingSession, ReceivedCall};
pub use commands::{CallCommand, ReceiveCall, RecordCounsellingSession};
pub use correction::{CallFacts, CorrectCall, CorrectedLocation};
pub use events::{CallEvent, COUNSELLING_SESSION_RECORDED_VERSION};
