//! Realistic synthetic hotline activity for the benchmarks: calls spread
//! over the ministry report's period and regions, some counselled, some
//! opening a case with a referral, a rescue and a support service. No
//! personal data at all.
//!
//! The ONE event generator of both bench targets (`benches/performance`,
//! `benches/rebuild`): it lives in this library because that is the one
//! place both can import without a dependency cycle, so their logs match.
//!
//! [`fill_batches`] appends such activity fast, for the large logs: each
//! aggregate decides its commands in memory and many new streams are
//! committed in one `UnitOfWork` (`EventStore::commit`: the store's own
//! append with hash chain), several thousand events per transaction.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Duration as Days, TimeZone, Utc};
use domain::call::{Call, CallCommand, ReceiveCall, RecordCounsellingSession};
use domain::case::{
    CallRef, Case, CaseCommand, Consent, OpenCase, ProvideSupport, RecordRescue, SendReferral,
};
use domain::clock::Clock;
use domain::values::{
    Agency, CallCategory, CallerType, Channel, CounsellingTopic, ExploitationType, PersonCount,
    Region, Role, SessionMinutes, SupportService,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use store::{decide, Actor, CommandContext, EventStore, Loaded, UnitOfWork};
use uuid::Uuid;

/// Why generating or appending stopped.
pub type Fail = Box<dyn std::error::Error + Send + Sync>;

/// The report's regional shares (per mille), in `Region::ALL` order.
pub const REGION_WEIGHTS: [u32; 10] = [293, 160, 131, 104, 60, 55, 116, 80, 1, 0];
/// Call categories, in `CallCategory::ALL` order.
const CATEGORY_WEIGHTS: [u32; 6] = [40, 12, 8, 5, 30, 5];
/// Channels, in `Channel::ALL` order.
const CHANNEL_WEIGHTS: [u32; 8] = [80, 8, 3, 3, 2, 1, 2, 1];
/// Referral agencies, in `Agency::ALL` order.
const AGENCY_WEIGHTS: [u32; 10] = [3, 4, 2, 0, 0, 1, 0, 0, 0, 0];
/// Events per batch transaction when filling the log.
const BATCH_EVENTS: u64 = 5_000;

/// A small seeded random source.
pub struct Dice(StdRng);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Self(StdRng::seed_from_u64(seed))
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0.gen_range(0..n.max(1))
    }

    pub fn weighted<T: Copy>(&mut self, items: &[T], weights: &[u32]) -> Option<T> {
        let total: u32 = weights.iter().sum();
        let mut roll = self.below(u64::from(total)) as u32;
        for (item, weight) in items.iter().zip(weights) {
            if roll < *weight {
                return Some(*item);
            }
            roll -= weight;
        }
        items.first().copied()
    }

    /// An instant in the report's period (Nov 2018 .. mid-Feb 2022, hotline time).
    pub fn instant_in_period(&mut self) -> DateTime<Utc> {
        let start = Utc
            .with_ymd_and_hms(2018, 10, 31, 17, 0, 0)
            .single()
            .unwrap_or_default();
        start + Days::seconds(self.below(1202 * 86_400 - 7200) as i64)
    }
}

/// What happens on one call.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    pub received_at: DateTime<Utc>,
    pub region: Region,
    pub category: CallCategory,
    pub channel: Channel,
    pub counselled: bool,
    /// A case is opened from the call, referred, a rescue and a support service recorded.
    pub referred: Option<(Agency, i64)>,
}

impl Scenario {
    pub fn roll(dice: &mut Dice) -> Self {
        let category = dice
            .weighted(CallCategory::ALL, &CATEGORY_WEIGHTS)
            .unwrap_or(CallCategory::Information);
        let referred =
            (category == CallCategory::ReferralRequest && dice.below(5) == 0).then(|| {
                (
                    dice.weighted(Agency::ALL, &AGENCY_WEIGHTS)
                        .unwrap_or(Agency::CriminalPolice),
                    1 + dice.below(3) as i64,
                )
            });
        Self {
            received_at: dice.instant_in_period(),
            region: dice
                .weighted(Region::ALL, &REGION_WEIGHTS)
                .unwrap_or(Region::Unknown),
            category,
            channel: dice
                .weighted(Channel::ALL, &CHANNEL_WEIGHTS)
                .unwrap_or(Channel::Voice),
            counselled: category == CallCategory::Counselling,
            referred,
        }
    }

    pub fn opened_at(&self) -> DateTime<Utc> {
        self.received_at + Days::minutes(30)
    }

    pub fn referred_at(&self) -> DateTime<Utc> {
        self.opened_at() + Days::hours(1)
    }

    pub fn rescued_at(&self) -> DateTime<Utc> {
        self.opened_at() + Days::days(2)
    }

    pub fn supported_at(&self) -> DateTime<Utc> {
        self.opened_at() + Days::days(3)
    }
}

/// The synthetic actor the bench's commands are recorded as.
pub fn bench_context() -> CommandContext {
    CommandContext::new(
        Actor {
            subject: "bench".into(),
            role: Role::Supervisor,
        },
        format!("bench-{}", Uuid::now_v7()),
    )
}

/// Appends about `wanted` more events in large batches, `writers` at a time.
/// Returns how many were appended.
pub async fn fill_batches(
    store: &EventStore,
    wanted: u64,
    writers: usize,
    seed: u64,
) -> Result<u64, Fail> {
    fill(store, wanted, writers, seed, false).await
}

/// The same activity, with each call and case recorded in a province of
/// its region ([`province_of`]) instead of the region alone: for the
/// statistics bench's per-province breakdowns. The dice roll as in
/// [`fill_batches`], so the two logs differ only by their provinces.
pub async fn fill_batches_in_provinces(
    store: &EventStore,
    wanted: u64,
    seed: u64,
) -> Result<u64, Fail> {
    fill(store, wanted, 1, seed, true).await
}

/// A province of the scenario's region (on the 63-province map of the
/// report's period), picked by the second of the call, not by the dice.
pub fn province_of(s: &Scenario) -> Option<&'static str> {
    let in_region: Vec<&str> = domain::reference::PROVINCES
        .iter()
        .filter(|p| p.region == s.region)
        .map(|p| p.code)
        .collect();
    let pick = usize::try_from(s.received_at.timestamp().unsigned_abs()).unwrap_or_default();
    in_region.get(pick % in_region.len().max(1)).copied()
}

async fn fill(
    store: &EventStore,
    wanted: u64,
    writers: usize,
    seed: u64,
    provinces: bool,
) -> Result<u64, Fail> {
    let done = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for w in 0..writers.max(1) {
        let store = store.clone();
        let done = done.clone();
        tasks.push(tokio::spawn(async move {
            let mut dice = Dice::new(seed.wrapping_add(w as u64 * 7919));
            loop {
                let left = wanted.saturating_sub(done.load(Ordering::Relaxed));
                if left == 0 {
                    return Ok::<(), Fail>(());
                }
                let (unit, events) = batch(&mut dice, left.min(BATCH_EVENTS), provinces).await?;
                store.commit(unit).await?;
                done.fetch_add(events, Ordering::Relaxed);
            }
        }));
    }
    for task in tasks {
        task.await
            .map_err(|e| format!("a fill task failed: {e}"))??;
    }
    Ok(done.load(Ordering::Relaxed))
}

/// One transaction's worth (about `wanted` events) of new calls and cases.
async fn batch(dice: &mut Dice, wanted: u64, provinces: bool) -> Result<(UnitOfWork, u64), Fail> {
    let clock = Clock::system();
    let ctx = bench_context();
    let mut unit = UnitOfWork::new();
    let mut events = 0_u64;
    while events < wanted {
        let s = Scenario::roll(dice);
        let province = province_of(&s).filter(|_| provinces);
        let mut call = Loaded {
            id: Uuid::now_v7(),
            state: std::sync::Arc::new(Call::default()),
            version: 0,
        };
        let mut commands = vec![CallCommand::Receive(ReceiveCall {
            call_id: call.id,
            received_at: s.received_at,
            channel: s.channel,
            region: province.is_none().then_some(s.region),
            province: province.map(str::to_string),
            country: None,
            caller_type: CallerType::Citizen,
            category: s.category,
            topics: vec![],
            duration: None,
            category_code: None,
            topic_codes: vec![],
        })];
        if s.counselled {
            commands.push(CallCommand::RecordCounsellingSession(
                RecordCounsellingSession {
                    call_id: call.id,
                    session_id: Uuid::now_v7(),
                    started_at: s.received_at + Days::minutes(2),
                    duration: SessionMinutes::try_from(20_i64)?,
                    topics: vec![CounsellingTopic::Psychological],
                    notes: None,
                    topic_codes: vec![],
                },
            ));
        }
        // A stream's events stay contiguous in the unit: the call's first
        // (its link to the case included), then the case's.
        let case_id = Uuid::now_v7();
        if s.referred.is_some() {
            commands.push(CallCommand::LinkToCase {
                call_id: call.id,
                case_id,
            });
        }
        let mut decided = Vec::new();
        for command in commands {
            decided.extend(decide(&mut call, command, &clock).await?);
        }
        events += decided.len() as u64;
        unit.record(&mut call, &decided, &ctx)?;
        if let Some((agency, rescued)) = s.referred {
            let call_ref = CallRef {
                call_id: call.id,
                received_at: s.received_at,
                region: s.region,
            };
            let case = (case_id, province);
            events +=
                referred_case(&mut unit, case, call_ref, &s, agency, rescued, &ctx, &clock).await?;
        }
    }
    Ok((unit, events))
}

/// A case opened from `call`, referred, with a rescue and a support service.
#[allow(clippy::too_many_arguments)]
async fn referred_case(
    unit: &mut UnitOfWork,
    (case_id, province): (Uuid, Option<&str>),
    call_ref: CallRef,
    s: &Scenario,
    agency: Agency,
    rescued: i64,
    ctx: &CommandContext,
    clock: &Clock,
) -> Result<u64, Fail> {
    let mut case = Loaded {
        id: case_id,
        state: std::sync::Arc::new(Case::default()),
        version: 0,
    };
    let referral_id = Uuid::now_v7();
    let commands = [
        CaseCommand::Open(OpenCase {
            case_id: case.id,
            opened_at: s.opened_at(),
            from_call: Some(call_ref),
            region: None,
            province: province.map(str::to_string),
            exploitation_types: vec![ExploitationType::ForcedLabour],
            persons: vec![],
        }),
        CaseCommand::SendReferral(SendReferral {
            case_id: case.id,
            referral_id,
            agency,
            referred_at: s.referred_at(),
            persons_at_risk: PersonCount::try_from(rescued.max(2))?,
            consent: Consent::Given,
            reason: None,
            requested_by: Role::Supervisor,
        }),
        CaseCommand::RecordRescue(RecordRescue {
            case_id: case.id,
            rescue_id: Uuid::now_v7(),
            referral_id,
            rescued_at: s.rescued_at(),
            persons_rescued: PersonCount::try_from(rescued)?,
            region: None,
            province: None,
            country: None,
        }),
        CaseCommand::ProvideSupport(ProvideSupport {
            case_id: case.id,
            provision_id: Uuid::now_v7(),
            person_id: None,
            service: SupportService::EssentialNeeds,
            provided_at: s.supported_at(),
        }),
    ];
    let mut events = 0;
    for command in commands {
        let decided = decide(&mut case, command, clock).await?;
        events += decided.len() as u64;
        unit.record(&mut case, &decided, ctx)?;
    }
    Ok(events)
}
