//! The hotline's work, recorded through the real write path: load the
//! aggregate, decide the command, record the events in a unit of work, commit.

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Asia::Ho_Chi_Minh;
use domain::call::{Call, CallCommand, ReceiveCall, RecordCounsellingSession};
use domain::case::{
    Case, CaseCommand, CloseCase, CompleteFollowUp, Consent, CreateFollowUp, OpenCase,
    RecordRescue, SendReferral, TakeCase, UpdateReferral,
};
use domain::clock::Clock;
use domain::sealed::Sealed;
use domain::values::{
    Agency, CallCategory, CallerType, Channel, CounsellingTopic, PersonCount, ReferralOutcome,
    ReferralStatus, Region, Role, SessionMinutes,
};
use store::{decide, Actor, CommandContext, EventStore, UnitOfWork};
use uuid::Uuid;

/// An instant given as local time in the hotline's zone (Asia/Ho_Chi_Minh).
pub fn local(y: i32, m: u32, d: u32, hh: u32, mm: u32) -> DateTime<Utc> {
    Ho_Chi_Minh
        .with_ymd_and_hms(y, m, d, hh, mm, 0)
        .single()
        .expect("a valid local time")
        .with_timezone(&Utc)
}

fn context(role: Role) -> CommandContext {
    CommandContext::new(
        Actor {
            subject: "test-counsellor".into(),
            role,
        },
        "projections-test".into(),
    )
}

fn sealed() -> Sealed {
    Sealed {
        key_id: Uuid::nil(),
        nonce: "bm9uY2U".into(),
        ciphertext: "c2VhbGVk".into(),
    }
}

/// A call as the hotline records it.
#[derive(Clone, Copy, Debug)]
pub struct NewCall {
    pub at: DateTime<Utc>,
    pub region: Region,
    pub category: CallCategory,
    pub channel: Channel,
}

impl NewCall {
    pub fn at(at: DateTime<Utc>) -> NewCall {
        NewCall {
            at,
            region: Region::RedRiverDelta,
            category: CallCategory::Information,
            channel: Channel::Voice,
        }
    }
}

pub async fn receive_call(store: &EventStore, call: NewCall) -> Uuid {
    let call_id = Uuid::now_v7();
    let command = CallCommand::Receive(ReceiveCall {
        call_id,
        received_at: call.at,
        channel: call.channel,
        region: Some(call.region),
        province: None,
        country: None,
        caller_type: CallerType::Citizen,
        category: call.category,
        topics: vec![],
        duration: None,
        category_code: None,
        topic_codes: vec![],
    });
    run_call(store, call_id, command).await;
    call_id
}

pub async fn record_session(store: &EventStore, call_id: Uuid, started_at: DateTime<Utc>) {
    let command = CallCommand::RecordCounsellingSession(RecordCounsellingSession {
        call_id,
        session_id: Uuid::now_v7(),
        started_at,
        duration: SessionMinutes::try_from(15_i64).expect("minutes"),
        topics: vec![CounsellingTopic::Psychological],
        notes: Some(sealed()),
        topic_codes: vec![],
    });
    run_call(store, call_id, command).await;
}

async fn run_call(store: &EventStore, call_id: Uuid, command: CallCommand) {
    let mut loaded = store.load::<Call>(call_id).await.expect("load call");
    let events = decide(&mut loaded, command, &Clock::system())
        .await
        .expect("the call command is accepted");
    let mut unit = UnitOfWork::new();
    unit.record(&mut loaded, &events, &context(Role::Counsellor))
        .expect("record");
    store.commit(unit).await.expect("commit");
}

pub async fn open_case(store: &EventStore, opened_at: DateTime<Utc>, region: Region) -> Uuid {
    let case_id = Uuid::now_v7();
    let command = CaseCommand::Open(OpenCase {
        case_id,
        opened_at,
        from_call: None,
        region: Some(region),
        province: None,
        exploitation_types: vec![],
        persons: vec![],
    });
    run_case(store, case_id, command, Role::Counsellor).await;
    case_id
}

pub async fn send_referral(
    store: &EventStore,
    case_id: Uuid,
    agency: Agency,
    at: DateTime<Utc>,
) -> Uuid {
    let referral_id = Uuid::now_v7();
    let command = CaseCommand::SendReferral(SendReferral {
        case_id,
        referral_id,
        agency,
        referred_at: at,
        persons_at_risk: PersonCount::try_from(2_i64).expect("count"),
        consent: Consent::Given,
        reason: None,
        requested_by: Role::Counsellor,
    });
    run_case(store, case_id, command, Role::Counsellor).await;
    referral_id
}

pub async fn move_referral(
    store: &EventStore,
    case_id: Uuid,
    referral_id: Uuid,
    status: ReferralStatus,
    at: DateTime<Utc>,
) {
    let outcome = (status == ReferralStatus::Completed).then_some(ReferralOutcome::Rescued);
    let command = CaseCommand::UpdateReferral(UpdateReferral {
        case_id,
        referral_id,
        status,
        at,
        outcome,
    });
    run_case(store, case_id, command, Role::Supervisor).await;
}

pub async fn record_rescue(
    store: &EventStore,
    case_id: Uuid,
    referral_id: Uuid,
    at: DateTime<Utc>,
    persons: i64,
) {
    let command = CaseCommand::RecordRescue(RecordRescue {
        case_id,
        rescue_id: Uuid::now_v7(),
        referral_id,
        rescued_at: at,
        persons_rescued: PersonCount::try_from(persons).expect("count"),
        region: None,
        province: None,
        country: None,
    });
    run_case(store, case_id, command, Role::Supervisor).await;
}

pub async fn close_case(store: &EventStore, case_id: Uuid, at: DateTime<Utc>) {
    let command = CaseCommand::Close(CloseCase {
        case_id,
        closed_at: at,
        reason: sealed(),
    });
    run_case(store, case_id, command, Role::Supervisor).await;
}

/// The case taken by the test counsellor, with a follow-up due a day later
/// (completed an hour later when `complete`).
pub async fn casework(store: &EventStore, case_id: Uuid, complete: bool, at: DateTime<Utc>) {
    let by = "test-counsellor".to_string();
    let take = CaseCommand::Take(TakeCase {
        case_id,
        by: by.clone(),
        at,
    });
    run_case(store, case_id, take, Role::Counsellor).await;
    let follow_up_id = Uuid::now_v7();
    let create = CaseCommand::CreateFollowUp(CreateFollowUp {
        case_id,
        follow_up_id,
        assignee: by.clone(),
        created_at: at,
        due_at: at + chrono::Duration::days(1),
        description: sealed(),
        by: by.clone(),
        by_role: Role::Counsellor,
    });
    run_case(store, case_id, create, Role::Counsellor).await;
    if complete {
        let done = CaseCommand::CompleteFollowUp(CompleteFollowUp {
            case_id,
            follow_up_id,
            completed_at: at + chrono::Duration::hours(1),
            by,
            by_role: Role::Counsellor,
        });
        run_case(store, case_id, done, Role::Counsellor).await;
    }
}

async fn run_case(store: &EventStore, case_id: Uuid, command: CaseCommand, role: Role) {
    let mut loaded = store.load::<Case>(case_id).await.expect("load case");
    let events = decide(&mut loaded, command, &Clock::system())
        .await
        .expect("the case command is accepted");
    let mut unit = UnitOfWork::new();
    unit.record(&mut loaded, &events, &context(role))
        .expect("record");
    store.commit(unit).await.expect("commit");
}

/// A small but complete history: calls on several days and regions, a
/// counselling session, cases with referrals, status changes, rescues,
/// casework (owners, follow-ups, one completed) and a closing. Returns how many calls it received.
pub async fn a_busy_week(store: &EventStore) -> usize {
    let regions = [
        Region::RedRiverDelta,
        Region::Northeast,
        Region::MekongDelta,
        Region::Overseas,
    ];
    let categories = [
        CallCategory::Information,
        CallCategory::Counselling,
        CallCategory::ReferralRequest,
    ];
    let channels = [Channel::Voice, Channel::Zalo, Channel::Web];
    let mut calls = 0;
    for i in 0..24_u32 {
        let call = NewCall {
            at: local(2021, 3, 1 + i % 7, 8 + i % 12, i % 60),
            region: regions[i as usize % regions.len()],
            category: categories[i as usize % categories.len()],
            channel: channels[i as usize % channels.len()],
        };
        let id = receive_call(store, call).await;
        calls += 1;
        if call.category == CallCategory::Counselling {
            record_session(store, id, call.at + chrono::Duration::minutes(5)).await;
        }
    }
    for (i, agency) in [
        Agency::CriminalPolice,
        Agency::BorderGuard,
        Agency::WomensUnion,
    ]
    .into_iter()
    .enumerate()
    {
        let day = 2 + i as u32;
        let case_id = open_case(store, local(2021, 3, day, 9, 0), regions[i]).await;
        let referral = send_referral(store, case_id, agency, local(2021, 3, day, 10, 0)).await;
        move_referral(
            store,
            case_id,
            referral,
            ReferralStatus::Acknowledged,
            local(2021, 3, day, 11, 0),
        )
        .await;
        record_rescue(
            store,
            case_id,
            referral,
            local(2021, 3, day + 1, 9, 0),
            1 + i as i64,
        )
        .await;
        casework(store, case_id, i == 2, local(2021, 3, day + 1, 9, 30)).await;
        if i == 0 {
            move_referral(
                store,
                case_id,
                referral,
                ReferralStatus::InProgress,
                local(2021, 3, day + 1, 10, 0),
            )
            .await;
            move_referral(
                store,
                case_id,
                referral,
                ReferralStatus::Completed,
                local(2021, 3, day + 1, 11, 0),
            )
            .await;
            close_case(store, case_id, local(2021, 3, day + 2, 9, 0)).await;
        }
    }
    calls
}

/// A CallReceived event as the write path would store it, for tests that
/// must control the appending transactions themselves.
pub fn call_received(at: DateTime<Utc>, region: Region) -> (Uuid, store::log::NewEvent) {
    let call_id = Uuid::now_v7();
    let event = domain::call::CallEvent::CallReceived {
        call_id,
        received_at: at,
        channel: Channel::Voice,
        region,
        province: None,
        country: None,
        caller_type: CallerType::Citizen,
        category: CallCategory::Information,
        topics: vec![],
        duration_seconds: None,
        category_code: None,
        topic_codes: vec![],
    };
    let new = store::log::NewEvent {
        aggregate_type: "Call".into(),
        aggregate_id: call_id.to_string(),
        sequence: 1,
        event_type: "CallReceived".into(),
        event_version: "1.0".into(),
        payload: serde_json::to_value(&event).expect("payload"),
        metadata: context(Role::Counsellor).metadata(Some(at)),
    };
    (call_id, new)
}
