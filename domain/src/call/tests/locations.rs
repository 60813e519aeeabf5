//! Where a call came from: province, region as it stood on the call date, country.

use super::fixtures::*;
use crate::call::CallCommand;
use crate::error::DomainError;
use crate::values::{CountryCode, Region};

#[test]
fn province_derives_its_region_as_it_stood_on_the_call_date() {
    let mut cmd = receive("2019-03-01T08:00:00Z");
    cmd.region = None;
    cmd.province = Some("HA_GIANG".into());
    given(vec![])
        .when(CallCommand::Receive(cmd.clone()))
        .then_expect_events(vec![received_event(
            &cmd,
            Region::Northeast,
            Some("HA_GIANG"),
        )]);
}

#[test]
fn province_with_its_own_region_given_too_is_accepted() {
    let mut cmd = receive("2019-03-01T08:00:00Z");
    cmd.region = Some(Region::Northeast);
    cmd.province = Some("HA_GIANG".into());
    given(vec![])
        .when(CallCommand::Receive(cmd.clone()))
        .then_expect_events(vec![received_event(
            &cmd,
            Region::Northeast,
            Some("HA_GIANG"),
        )]);
}

#[test]
fn merged_province_on_or_after_the_reform_day_in_hanoi_is_refused() {
    // 2025-06-30T17:30Z is already 1 July 2025 in Hà Nội.
    let mut cmd = receive("2025-06-30T17:30:00Z");
    cmd.region = None;
    cmd.province = Some("HA_GIANG".into());
    given(vec![])
        .when(CallCommand::Receive(cmd))
        .then_expect_error(DomainError::ProvinceMerged {
            province: "HA_GIANG".into(),
            successor: "TUYEN_QUANG".into(),
            since: "2025-07-01".into(),
        });
}

#[test]
fn merged_province_on_the_last_hanoi_day_before_the_reform_is_accepted() {
    // 2025-06-30T16:59Z is still 30 June 2025 in Hà Nội.
    let mut cmd = receive("2025-06-30T16:59:59Z");
    cmd.region = None;
    cmd.province = Some("HA_GIANG".into());
    given(vec![])
        .when(CallCommand::Receive(cmd.clone()))
        .then_expect_events(vec![received_event(
            &cmd,
            Region::Northeast,
            Some("HA_GIANG"),
        )]);
}

#[test]
fn unknown_province_is_refused() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.province = Some("ATLANTIS".into());
    given(vec![])
        .when(CallCommand::Receive(cmd))
        .then_expect_error(DomainError::UnknownProvince {
            province: "ATLANTIS".into(),
        });
}

#[test]
fn region_contradicting_the_province_is_refused() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.region = Some(Region::MekongDelta);
    cmd.province = Some("HA_NOI".into());
    given(vec![])
        .when(CallCommand::Receive(cmd))
        .then_expect_error(DomainError::RegionMismatch {
            province: "HA_NOI".into(),
            derived: "RED_RIVER_DELTA".into(),
            given: "MEKONG_DELTA".into(),
        });
}

#[test]
fn country_without_the_overseas_region_is_refused() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.country = Some(CountryCode::try_from("KH").expect("a valid country"));
    given(vec![])
        .when(CallCommand::Receive(cmd))
        .then_expect_error(DomainError::CountryWithoutOverseas);
}

#[test]
fn country_with_the_overseas_region_is_recorded() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.region = Some(Region::Overseas);
    cmd.country = Some(CountryCode::try_from("kh").expect("a valid country"));
    given(vec![])
        .when(CallCommand::Receive(cmd.clone()))
        .then_expect_events(vec![received_event(&cmd, Region::Overseas, None)]);
}

#[test]
fn call_without_region_or_province_is_refused() {
    let mut cmd = receive("2025-09-10T01:00:00Z");
    cmd.region = None;
    cmd.province = None;
    given(vec![])
        .when(CallCommand::Receive(cmd))
        .then_expect_error(DomainError::LocationMissing);
}
