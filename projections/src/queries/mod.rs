//! Reading the read models: the contract's lists (keyset-paginated, newest
//! first) and statistics. Lists return ids; the API loads each node from its
//! aggregate, so a list never shows more than the caller may see of it.

mod casework;
mod cursor;
mod lists;
mod period;
mod statistics;

pub use casework::{case_queue, follow_ups, unacknowledged_referrals, FollowUpFilter, Queue};
pub use lists::{calls, cases, referrals, CallFilter, CaseFilter, Page, ReferralFilter};
pub use statistics::{
    report, statistics, AgencyCount, Ask, CategoryCount, ChannelCount, CodeCount, MonthCount,
    MonthReport, MonthStatistics, RegionCount, Report, Statistics,
};
