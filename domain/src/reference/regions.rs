//! The regions' names as the ministry's report and a Vietnamese reader write them.

use crate::values::Region;

/// A region's names: English as in the ministry's report, and Vietnamese.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegionNames {
    pub english: &'static str,
    pub vietnamese: &'static str,
}

/// The names of `region`. OVERSEAS and UNKNOWN are not places in Vietnam
/// but what a call may honestly record: abroad, or not said.
pub fn region_names(region: Region) -> RegionNames {
    let (english, vietnamese) = match region {
        Region::RedRiverDelta => ("Red River Delta", "Đồng bằng sông Hồng"),
        Region::Northeast => ("Northeast", "Đông Bắc"),
        Region::Northwest => ("Northwest", "Tây Bắc"),
        Region::NorthCentral => ("North Central Coast", "Bắc Trung Bộ"),
        Region::SouthCentralCoast => ("South Central Coast", "Duyên hải Nam Trung Bộ"),
        Region::CentralHighlands => ("Central Highlands", "Tây Nguyên"),
        Region::Southeast => ("Southeast", "Đông Nam Bộ"),
        Region::MekongDelta => ("Mekong Delta", "Đồng bằng sông Cửu Long"),
        Region::Overseas => ("Overseas", "Nước ngoài"),
        Region::Unknown => ("Unknown", "Không rõ"),
    };
    RegionNames {
        english,
        vietnamese,
    }
}
