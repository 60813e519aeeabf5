//! Dated reference data: provinces and their regions.
//!
//! On 1 July 2025 Vietnam's 63 provinces became 34: 29 were merged into a
//! neighbour whose name the new province kept. A province code therefore means
//! "this province as it stood on the date of the record": a call recorded in
//! 2019 in HA_GIANG stays in HA_GIANG forever, while a call after the reform
//! must name TUYEN_QUANG. The region recorded in the event is the one derived
//! on that day, so later corrections to this table never rewrite history.
//!
//! Regions are the eight socio-economic regions of the ministry's report. A
//! merged province keeps the region of the province whose name it kept.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

use crate::error::DomainError;

pub mod book;
pub mod dated;
pub mod location;
mod lookup;
mod provinces;
mod regions;
pub use lookup::{find_province, fold, nearest_province};
pub use provinces::{reform_day, Province, PROVINCES};
pub use regions::{region_names, RegionNames};

/// The reference data's calendar day of an instant: Vietnamese law takes effect
/// on Vietnamese days (UTC+7, no daylight saving).
pub fn vietnam_day(at: DateTime<Utc>) -> NaiveDate {
    let offset = FixedOffset::east_opt(7 * 3600).expect("UTC+7 is a valid offset");
    at.with_timezone(&offset).date_naive()
}

/// The provinces in force on `day`.
pub fn provinces_on(day: NaiveDate) -> impl Iterator<Item = &'static Province> {
    PROVINCES.iter().filter(move |p| p.in_force_on(day))
}

/// Looks a province code up as it stood on `day`.
pub fn province_on(code: &str, day: NaiveDate) -> Result<&'static Province, DomainError> {
    let province =
        PROVINCES
            .iter()
            .find(|p| p.code == code)
            .ok_or_else(|| DomainError::UnknownProvince {
                province: code.chars().take(40).collect(),
            })?;
    match province.merged_into {
        Some(successor) if day >= reform_day() => Err(DomainError::ProvinceMerged {
            province: province.code.to_string(),
            successor: successor.to_string(),
            since: reform_day().to_string(),
        }),
        _ => Ok(province),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::values::Region;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid test date")
    }

    #[test]
    fn sixty_three_before_the_reform_thirty_four_after() {
        assert_eq!(provinces_on(day(2025, 6, 30)).count(), 63);
        assert_eq!(provinces_on(day(2025, 7, 1)).count(), 34);
    }

    #[test]
    fn every_successor_exists_after_the_reform() {
        for p in PROVINCES.iter() {
            if let Some(successor) = p.merged_into {
                assert!(
                    province_on(successor, day(2025, 7, 1)).is_ok(),
                    "{successor}"
                );
            }
        }
    }

    #[test]
    fn a_merged_province_is_in_force_until_the_eve_of_the_reform() {
        let ha_giang = PROVINCES.iter().find(|p| p.code == "HA_GIANG");
        let ha_giang = ha_giang.expect("in the table");
        assert_eq!(ha_giang.valid_to(), Some(day(2025, 6, 30)));
        assert!(ha_giang.in_force_on(day(2025, 6, 30)));
        assert!(!ha_giang.in_force_on(day(2025, 7, 1)));
        let ha_noi = PROVINCES.iter().find(|p| p.code == "HA_NOI");
        assert_eq!(ha_noi.and_then(|p| p.valid_to()), None);
    }

    /// Resolution 202/2025/QH15, written out a second time by name: the 23
    /// merged provinces with those merged into them (the first name is the
    /// one kept), and the 11 left as they were. A typo in the table above
    /// (a name, a diacritic, a successor) fails here.
    #[test]
    fn the_table_is_resolution_202_2025() {
        let merged: [&[&str]; 23] = [
            &["Tuyên Quang", "Hà Giang"],
            &["Lào Cai", "Yên Bái"],
            &["Thái Nguyên", "Bắc Kạn"],
            &["Phú Thọ", "Vĩnh Phúc", "Hòa Bình"],
            &["Bắc Ninh", "Bắc Giang"],
            &["Hưng Yên", "Thái Bình"],
            &["Hải Phòng", "Hải Dương"],
            &["Ninh Bình", "Hà Nam", "Nam Định"],
            &["Quảng Trị", "Quảng Bình"],
            &["Đà Nẵng", "Quảng Nam"],
            &["Quảng Ngãi", "Kon Tum"],
            &["Gia Lai", "Bình Định"],
            &["Khánh Hòa", "Ninh Thuận"],
            &["Lâm Đồng", "Đắk Nông", "Bình Thuận"],
            &["Đắk Lắk", "Phú Yên"],
            &["Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu"],
            &["Đồng Nai", "Bình Phước"],
            &["Tây Ninh", "Long An"],
            &["Cần Thơ", "Sóc Trăng", "Hậu Giang"],
            &["Vĩnh Long", "Bến Tre", "Trà Vinh"],
            &["Đồng Tháp", "Tiền Giang"],
            &["Cà Mau", "Bạc Liêu"],
            &["An Giang", "Kiên Giang"],
        ];
        let unchanged = [
            "Hà Nội",
            "Huế",
            "Lai Châu",
            "Điện Biên",
            "Sơn La",
            "Lạng Sơn",
            "Quảng Ninh",
            "Thanh Hóa",
            "Nghệ An",
            "Hà Tĩnh",
            "Cao Bằng",
        ];
        let named = |name: &str| {
            PROVINCES
                .iter()
                .find(|p| p.name == name)
                .unwrap_or_else(|| panic!("no province named {name}"))
        };
        let mut seen = 0;
        for group in merged {
            let kept = named(group[0]);
            assert_eq!(kept.merged_into, None, "{}", kept.name);
            for absorbed in &group[1..] {
                assert_eq!(named(absorbed).merged_into, Some(kept.code), "{absorbed}");
            }
            seen += group.len();
        }
        for name in unchanged {
            assert_eq!(named(name).merged_into, None, "{name}");
            assert!(PROVINCES
                .iter()
                .all(|p| p.merged_into != Some(named(name).code)));
        }
        assert_eq!(seen + unchanged.len(), 63);
        assert_eq!(merged.len() + unchanged.len(), 34);
    }

    #[test]
    fn codes_are_unique() {
        let mut codes: Vec<_> = PROVINCES.iter().map(|p| p.code).collect();
        codes.sort();
        codes.dedup();
        assert_eq!(codes.len(), 63);
    }

    #[test]
    fn a_merged_province_is_refused_after_the_reform_with_its_successor_named() {
        assert_eq!(
            province_on("HA_GIANG", day(2019, 3, 1)).map(|p| p.region),
            Ok(Region::Northeast)
        );
        let err = province_on("HA_GIANG", day(2025, 7, 1)).expect_err("merged");
        assert!(err.to_string().contains("TUYEN_QUANG"));
    }

    #[test]
    fn the_reform_day_is_a_vietnamese_day() {
        // 2025-06-30T17:30Z is 00:30 on 1 July in Hanoi.
        let at = "2025-06-30T17:30:00Z"
            .parse::<DateTime<Utc>>()
            .expect("valid instant");
        assert_eq!(vietnam_day(at), day(2025, 7, 1));
    }
}
