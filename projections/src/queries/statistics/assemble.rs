//! From sums to the published answer: every count, total, breakdown cell
//! and month goes through the caller's [`Disclosure`] with its own cell key,
//! so a total is never the sum of published parts and no count below the
//! floor is shown anywhere.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use domain::reference::{reform_day, PROVINCES};
use domain::values::{Agency, CallCategory, CallerType, Channel, CounsellingTopic, Gender, Region};

use super::super::period::months;
use super::read::{Sum, Sums};
use super::report::{
    AgencyCount, Ask, CategoryCount, ChannelCount, CodeCount, MonthCount, MonthReport,
    MonthStatistics, RegionCount, Report, Statistics,
};
use crate::disclosure::Disclosure;
use crate::models::statistics::facts::{figure::*, AGE_BANDS};

/// Every figure an answer reads.
pub(super) const FIGURES: &[&str] = &[
    CALLS,
    CALLS_BY_CHANNEL,
    CALLS_BY_CALLER_TYPE,
    COUNSELLING_TOPICS,
    COUNSELLING_SESSIONS,
    CASES_OPENED,
    REFERRALS,
    PERSONS_RESCUED,
    RESCUED_BY_COHORT,
    PERSONS_BY_GENDER,
    PERSONS_BY_AGE_BAND,
];

fn label(month: NaiveDate) -> String {
    format!("{:04}-{:02}", month.year(), month.month())
}

/// Where a recorded (region, province) lies on the map in force on `map_on`:
/// a province merged away by then counts under the province that absorbed
/// it, in that province's region (even where the merged province lay in
/// another region before); a call without a province keeps its region.
pub(crate) fn restate(region: &str, province: &str, map_on: Option<NaiveDate>) -> (String, String) {
    let Some(on) = map_on else {
        return (region.to_string(), province.to_string());
    };
    let found = |code: &str| PROVINCES.iter().find(|p| p.code == code);
    match found(province) {
        None => (region.to_string(), province.to_string()),
        Some(p) => {
            let successor = p
                .merged_into
                .filter(|_| on >= reform_day())
                .and_then(found)
                .unwrap_or(p);
            (
                successor.region.as_str().to_string(),
                successor.code.to_string(),
            )
        }
    }
}

struct Assembler<'a> {
    sums: &'a Sums,
    d: Disclosure,
    months: Vec<NaiveDate>,
}

impl Assembler<'_> {
    fn figure(&self, sum: Sum) -> i64 {
        self.d.figure(sum.0, sum.1)
    }

    /// One breakdown over `codes`, each with its monthly series.
    fn breakdown<'c>(
        &self,
        figure: &str,
        codes: impl IntoIterator<Item = &'c str>,
    ) -> Vec<CodeCount> {
        codes
            .into_iter()
            .map(|code| {
                let sum = self.sums.select(figure, Some(code), None);
                let count = self.d.cell(sum.0, sum.1);
                CodeCount {
                    code: code.to_string(),
                    count,
                    suppressed: count.is_none(),
                    monthly: self
                        .months
                        .iter()
                        .map(|&m| {
                            let sum = self.sums.select(figure, Some(code), Some(m));
                            let count = self.d.cell(sum.0, sum.1);
                            MonthCount {
                                month: label(m),
                                count,
                                suppressed: count.is_none(),
                            }
                        })
                        .collect(),
                }
            })
            .collect()
    }

    /// One figure by place (region or province) on the asked map, each place
    /// with its monthly series. A province merged away by the map's day counts
    /// wholly under the one that absorbed it ([`restate`]); records without a
    /// province are left out of the provinces.
    fn places(&self, ask: &Ask, figure: &str, by_province: bool) -> Vec<CodeCount> {
        // (place, None): the period; (place, Some(month)): one month.
        let mut sums: HashMap<(String, Option<NaiveDate>), Sum> = HashMap::new();
        for ((f, region, province, month), (n, k)) in &self.sums.by_place {
            if f != figure {
                continue;
            }
            let (region, province) = restate(region, province, ask.map_on);
            let place = if by_province { province } else { region };
            if place.is_empty() {
                continue;
            }
            for key in [(place.clone(), None), (place, Some(*month))] {
                let sum = sums.entry(key).or_default();
                sum.0 += n;
                sum.1 += k;
            }
        }
        let codes: Vec<String> = if by_province {
            let day = ask.map_on.unwrap_or(ask.from);
            PROVINCES
                .iter()
                .filter(|p| ask.map_on.is_none() || p.in_force_on(day))
                .map(|p| p.code.to_string())
                .collect()
        } else {
            Region::ALL.iter().map(|r| r.as_str().to_string()).collect()
        };
        let take = |place: &str, month: Option<NaiveDate>| {
            let (n, k) = sums
                .get(&(place.to_string(), month))
                .copied()
                .unwrap_or_default();
            self.d.cell(n, k)
        };
        codes
            .into_iter()
            .map(|code| {
                let count = take(&code, None);
                let monthly = self
                    .months
                    .iter()
                    .map(|&m| {
                        let count = take(&code, Some(m));
                        MonthCount {
                            month: label(m),
                            count,
                            suppressed: count.is_none(),
                        }
                    })
                    .collect();
                CodeCount {
                    code,
                    count,
                    suppressed: count.is_none(),
                    monthly,
                }
            })
            .collect()
    }
}

fn codes<T: Copy>(
    all: &'static [T],
    name: fn(T) -> &'static str,
) -> impl Iterator<Item = &'static str> {
    all.iter().map(move |&v| name(v))
}

pub(super) fn statistics(ask: &Ask, as_of_position: i64, sums: &Sums) -> Statistics {
    let a = Assembler {
        sums,
        d: ask.disclosure,
        months: months(ask.from, ask.to).collect(),
    };
    let d = ask.disclosure;
    let total_calls = a.figure(sums.total(CALLS));
    let counselling = CallCategory::Counselling.as_str();
    let cell = |figure: &str, code: &str| {
        let (n, k) = sums.select(figure, Some(code), None);
        d.cell(n, k)
    };
    let monthly = a
        .months
        .iter()
        .map(|&m| MonthStatistics {
            month: label(m),
            calls: a.figure(sums.select(CALLS, None, Some(m))),
            counselling_calls: a.figure(sums.select(CALLS, Some(counselling), Some(m))),
            referrals: a.figure(sums.select(REFERRALS, None, Some(m))),
            persons_rescued: a.figure(sums.select(PERSONS_RESCUED, None, Some(m))),
        })
        .collect();
    let referral_cases = |month: Option<NaiveDate>| {
        a.figure(sums.referral_cases.get(&month).copied().unwrap_or_default())
    };
    let whole = Report {
        disclosure_controlled: matches!(d, Disclosure::Controlled { .. }),
        map: ask
            .map_on
            .map_or("recorded".to_string(), |day| day.to_string()),
        referral_cases: referral_cases(None),
        persons_rescued_by_cohort: a.figure(sums.total(RESCUED_BY_COHORT)),
        counselling_calls_by_topic: a.breakdown(
            COUNSELLING_TOPICS,
            codes(CounsellingTopic::ALL, CounsellingTopic::as_str),
        ),
        calls_by_caller_type: a.breakdown(
            CALLS_BY_CALLER_TYPE,
            codes(CallerType::ALL, CallerType::as_str),
        ),
        calls_by_province: a.places(ask, CALLS, true),
        calls_by_region_on_map: a.places(ask, CALLS, false),
        cases_opened_by_province: a.places(ask, CASES_OPENED, true),
        referrals_by_province: a.places(ask, REFERRALS, true),
        persons_by_gender: a.breakdown(PERSONS_BY_GENDER, codes(Gender::ALL, Gender::as_str)),
        persons_by_age_band: a.breakdown(PERSONS_BY_AGE_BAND, AGE_BANDS),
        referrals_by_agency: a.breakdown(REFERRALS, codes(Agency::ALL, Agency::as_str)),
        persons_rescued_by_cohort_by_agency: a
            .breakdown(RESCUED_BY_COHORT, codes(Agency::ALL, Agency::as_str)),
        monthly: a
            .months
            .iter()
            .map(|&m| MonthReport {
                month: label(m),
                counselling_sessions: a.figure(sums.select(COUNSELLING_SESSIONS, None, Some(m))),
                cases_opened: a.figure(sums.select(CASES_OPENED, None, Some(m))),
                referral_cases: referral_cases(Some(m)),
                persons_rescued_by_cohort: a.figure(sums.select(RESCUED_BY_COHORT, None, Some(m))),
            })
            .collect(),
    };
    let region_sum = |region: Region| {
        let mut sum = (0, 0);
        for ((figure, r, ..), (n, k)) in &sums.by_place {
            if figure == CALLS && r == region.as_str() {
                sum.0 += n;
                sum.1 += k;
            }
        }
        sum
    };
    Statistics {
        from: ask.from,
        to: ask.to,
        as_of_position,
        min_cell_size: d.floor(),
        total_calls,
        counselling_calls: a.figure(sums.select(CALLS, Some(counselling), None)),
        counselling_sessions: a.figure(sums.total(COUNSELLING_SESSIONS)),
        cases_opened: a.figure(sums.total(CASES_OPENED)),
        referrals: a.figure(sums.total(REFERRALS)),
        persons_rescued: a.figure(sums.total(PERSONS_RESCUED)),
        calls_by_region: Region::ALL
            .iter()
            .map(|&region| {
                let (n, k) = region_sum(region);
                let count = d.cell(n, k);
                let share = count
                    .filter(|_| total_calls > 0)
                    .map(|c| c as f64 / total_calls as f64);
                RegionCount {
                    region,
                    count,
                    share,
                    suppressed: count.is_none(),
                }
            })
            .collect(),
        calls_by_category: CallCategory::ALL
            .iter()
            .map(|&category| {
                let count = cell(CALLS, category.as_str());
                CategoryCount {
                    category,
                    count,
                    suppressed: count.is_none(),
                }
            })
            .collect(),
        calls_by_channel: Channel::ALL
            .iter()
            .map(|&channel| {
                let count = cell(CALLS_BY_CHANNEL, channel.as_str());
                ChannelCount {
                    channel,
                    count,
                    suppressed: count.is_none(),
                }
            })
            .collect(),
        referrals_by_agency: Agency::ALL
            .iter()
            .map(|&agency| {
                let referrals = cell(REFERRALS, agency.as_str());
                let suppressed = referrals.is_none();
                AgencyCount {
                    agency,
                    referrals,
                    // Exact answers show persons rescued wherever referrals show.
                    persons_rescued: match d {
                        _ if suppressed => None,
                        Disclosure::Exact { .. } => {
                            Some(sums.select(PERSONS_RESCUED, Some(agency.as_str()), None).0)
                        }
                        Disclosure::Controlled { .. } => cell(PERSONS_RESCUED, agency.as_str()),
                    },
                    suppressed,
                }
            })
            .collect(),
        monthly,
        whole,
    }
}
