//! The province table: the 63 provinces before 1 July 2025, each with its
//! Vietnamese name, its region and, when merged away, its successor.

use chrono::NaiveDate;

use crate::values::Region;

/// One province as the reference data knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Province {
    pub code: &'static str,
    pub name: &'static str,
    pub region: Region,
    /// When it was merged away, the province that absorbed it.
    pub merged_into: Option<&'static str>,
}

/// The day the 34-province map took effect (Resolution 202/2025/QH15).
pub fn reform_day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 7, 1).expect("a valid date")
}

impl Province {
    /// First day in force, when the reference data knows one. The table
    /// starts from the 63-province map (in force since 2008, before the
    /// hotline's records), so no province has one yet: `None` means "since
    /// before the records". A province created later will have its day here.
    pub fn valid_from(&self) -> Option<NaiveDate> {
        None
    }

    /// Last day in force (inclusive): 30 June 2025 for a merged province,
    /// `None` while it is still in force.
    pub fn valid_to(&self) -> Option<NaiveDate> {
        self.merged_into.and_then(|_| reform_day().pred_opt())
    }

    /// Whether it was in force on `day`.
    pub fn in_force_on(&self, day: NaiveDate) -> bool {
        self.valid_from().is_none_or(|from| from <= day)
            && self.valid_to().is_none_or(|to| day <= to)
    }
}

use Region::*;

const fn p(code: &'static str, name: &'static str, region: Region) -> Province {
    Province {
        code,
        name,
        region,
        merged_into: None,
    }
}
const fn m(code: &'static str, name: &'static str, region: Region, into: &'static str) -> Province {
    Province {
        code,
        name,
        region,
        merged_into: Some(into),
    }
}

/// All 63 provinces of before the reform; the 34 without `merged_into` continue after it.
pub const PROVINCES: [Province; 63] = [
    p("HA_NOI", "Hà Nội", RedRiverDelta),
    p("HAI_PHONG", "Hải Phòng", RedRiverDelta),
    m("VINH_PHUC", "Vĩnh Phúc", RedRiverDelta, "PHU_THO"),
    p("BAC_NINH", "Bắc Ninh", RedRiverDelta),
    m("HAI_DUONG", "Hải Dương", RedRiverDelta, "HAI_PHONG"),
    p("HUNG_YEN", "Hưng Yên", RedRiverDelta),
    m("THAI_BINH", "Thái Bình", RedRiverDelta, "HUNG_YEN"),
    m("HA_NAM", "Hà Nam", RedRiverDelta, "NINH_BINH"),
    m("NAM_DINH", "Nam Định", RedRiverDelta, "NINH_BINH"),
    p("NINH_BINH", "Ninh Bình", RedRiverDelta),
    m("HA_GIANG", "Hà Giang", Northeast, "TUYEN_QUANG"),
    p("CAO_BANG", "Cao Bằng", Northeast),
    m("BAC_KAN", "Bắc Kạn", Northeast, "THAI_NGUYEN"),
    p("TUYEN_QUANG", "Tuyên Quang", Northeast),
    p("THAI_NGUYEN", "Thái Nguyên", Northeast),
    p("LANG_SON", "Lạng Sơn", Northeast),
    m("BAC_GIANG", "Bắc Giang", Northeast, "BAC_NINH"),
    p("PHU_THO", "Phú Thọ", Northeast),
    p("QUANG_NINH", "Quảng Ninh", Northeast),
    p("LAI_CHAU", "Lai Châu", Northwest),
    p("DIEN_BIEN", "Điện Biên", Northwest),
    p("SON_LA", "Sơn La", Northwest),
    m("HOA_BINH", "Hòa Bình", Northwest, "PHU_THO"),
    p("LAO_CAI", "Lào Cai", Northwest),
    m("YEN_BAI", "Yên Bái", Northwest, "LAO_CAI"),
    p("THANH_HOA", "Thanh Hóa", NorthCentral),
    p("NGHE_AN", "Nghệ An", NorthCentral),
    p("HA_TINH", "Hà Tĩnh", NorthCentral),
    m("QUANG_BINH", "Quảng Bình", NorthCentral, "QUANG_TRI"),
    p("QUANG_TRI", "Quảng Trị", NorthCentral),
    p("HUE", "Huế", NorthCentral),
    p("DA_NANG", "Đà Nẵng", SouthCentralCoast),
    m("QUANG_NAM", "Quảng Nam", SouthCentralCoast, "DA_NANG"),
    p("QUANG_NGAI", "Quảng Ngãi", SouthCentralCoast),
    m("BINH_DINH", "Bình Định", SouthCentralCoast, "GIA_LAI"),
    m("PHU_YEN", "Phú Yên", SouthCentralCoast, "DAK_LAK"),
    p("KHANH_HOA", "Khánh Hòa", SouthCentralCoast),
    m("NINH_THUAN", "Ninh Thuận", SouthCentralCoast, "KHANH_HOA"),
    m("BINH_THUAN", "Bình Thuận", SouthCentralCoast, "LAM_DONG"),
    m("KON_TUM", "Kon Tum", CentralHighlands, "QUANG_NGAI"),
    p("GIA_LAI", "Gia Lai", CentralHighlands),
    p("DAK_LAK", "Đắk Lắk", CentralHighlands),
    m("DAK_NONG", "Đắk Nông", CentralHighlands, "LAM_DONG"),
    p("LAM_DONG", "Lâm Đồng", CentralHighlands),
    p("HO_CHI_MINH", "Hồ Chí Minh", Southeast),
    m("BINH_DUONG", "Bình Dương", Southeast, "HO_CHI_MINH"),
    m("BINH_PHUOC", "Bình Phước", Southeast, "DONG_NAI"),
    p("TAY_NINH", "Tây Ninh", Southeast),
    p("DONG_NAI", "Đồng Nai", Southeast),
    m(
        "BA_RIA_VUNG_TAU",
        "Bà Rịa - Vũng Tàu",
        Southeast,
        "HO_CHI_MINH",
    ),
    m("LONG_AN", "Long An", MekongDelta, "TAY_NINH"),
    m("TIEN_GIANG", "Tiền Giang", MekongDelta, "DONG_THAP"),
    m("BEN_TRE", "Bến Tre", MekongDelta, "VINH_LONG"),
    m("TRA_VINH", "Trà Vinh", MekongDelta, "VINH_LONG"),
    p("VINH_LONG", "Vĩnh Long", MekongDelta),
    p("DONG_THAP", "Đồng Tháp", MekongDelta),
    p("AN_GIANG", "An Giang", MekongDelta),
    m("KIEN_GIANG", "Kiên Giang", MekongDelta, "AN_GIANG"),
    p("CAN_THO", "Cần Thơ", MekongDelta),
    m("HAU_GIANG", "Hậu Giang", MekongDelta, "CAN_THO"),
    m("SOC_TRANG", "Sóc Trăng", MekongDelta, "CAN_THO"),
    m("BAC_LIEU", "Bạc Liêu", MekongDelta, "CA_MAU"),
    p("CA_MAU", "Cà Mau", MekongDelta),
];
