//! ISO 3166-1 alpha-2: the 249 officially assigned country codes.
//!
//! A destination of exploitation or a nationality is a country the standard
//! names, not any two letters: `XX` or a typo (`VM` for Viet Nam) would put
//! a victim in a country that does not exist in every later figure.

use crate::error::DomainError;
use crate::values::CountryCode;

/// The officially assigned codes, sorted (binary search).
pub const ASSIGNED: [&str; 249] = [
    "AD", "AE", "AF", "AG", "AI", "AL", "AM", "AO", "AQ", "AR", "AS", "AT", "AU", "AW", "AX", "AZ",
    "BA", "BB", "BD", "BE", "BF", "BG", "BH", "BI", "BJ", "BL", "BM", "BN", "BO", "BQ", "BR", "BS",
    "BT", "BV", "BW", "BY", "BZ", "CA", "CC", "CD", "CF", "CG", "CH", "CI", "CK", "CL", "CM", "CN",
    "CO", "CR", "CU", "CV", "CW", "CX", "CY", "CZ", "DE", "DJ", "DK", "DM", "DO", "DZ", "EC", "EE",
    "EG", "EH", "ER", "ES", "ET", "FI", "FJ", "FK", "FM", "FO", "FR", "GA", "GB", "GD", "GE", "GF",
    "GG", "GH", "GI", "GL", "GM", "GN", "GP", "GQ", "GR", "GS", "GT", "GU", "GW", "GY", "HK", "HM",
    "HN", "HR", "HT", "HU", "ID", "IE", "IL", "IM", "IN", "IO", "IQ", "IR", "IS", "IT", "JE", "JM",
    "JO", "JP", "KE", "KG", "KH", "KI", "KM", "KN", "KP", "KR", "KW", "KY", "KZ", "LA", "LB", "LC",
    "LI", "LK", "LR", "LS", "LT", "LU", "LV", "LY", "MA", "MC", "MD", "ME", "MF", "MG", "MH", "MK",
    "ML", "MM", "MN", "MO", "MP", "MQ", "MR", "MS", "MT", "MU", "MV", "MW", "MX", "MY", "MZ", "NA",
    "NC", "NE", "NF", "NG", "NI", "NL", "NO", "NP", "NR", "NU", "NZ", "OM", "PA", "PE", "PF", "PG",
    "PH", "PK", "PL", "PM", "PN", "PR", "PS", "PT", "PW", "PY", "QA", "RE", "RO", "RS", "RU", "RW",
    "SA", "SB", "SC", "SD", "SE", "SG", "SH", "SI", "SJ", "SK", "SL", "SM", "SN", "SO", "SR", "SS",
    "ST", "SV", "SX", "SY", "SZ", "TC", "TD", "TF", "TG", "TH", "TJ", "TK", "TL", "TM", "TN", "TO",
    "TR", "TT", "TV", "TW", "TZ", "UA", "UG", "UM", "US", "UY", "UZ", "VA", "VC", "VE", "VG", "VI",
    "VN", "VU", "WF", "WS", "YE", "YT", "ZA", "ZM", "ZW",
];

/// A country code the standard assigns, upper-cased; anything else is refused.
pub fn assigned_country(value: &str) -> Result<CountryCode, DomainError> {
    let code = CountryCode::try_from(value)?;
    if ASSIGNED.binary_search(&code.as_str()).is_ok() {
        Ok(code)
    } else {
        Err(DomainError::UnassignedCountry(
            code.as_str().chars().take(2).collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_list_is_sorted_and_unique_so_search_finds_every_code() {
        assert!(ASSIGNED.windows(2).all(|w| w[0] < w[1]));
        for code in ASSIGNED {
            assert_eq!(
                assigned_country(code).map(|c| c.as_str().to_string()),
                Ok(code.into())
            );
        }
    }

    #[test]
    fn viet_nam_in_any_case_and_unassigned_letters() {
        assert_eq!(
            assigned_country(" vn ").map(|c| c.as_str().to_string()),
            Ok("VN".into())
        );
        assert_eq!(
            assigned_country("XX"),
            Err(DomainError::UnassignedCountry("XX".into()))
        );
        assert_eq!(
            assigned_country("VM"),
            Err(DomainError::UnassignedCountry("VM".into()))
        );
        assert_eq!(assigned_country("VNM"), Err(DomainError::InvalidCountry));
    }

    proptest! {
        /// Whatever the text, the answer is a listed code or a refusal, never a panic.
        #[test]
        fn any_text_is_a_listed_code_or_refused(text in ".{0,8}") {
            if let Ok(code) = assigned_country(&text) {
                prop_assert!(ASSIGNED.contains(&code.as_str()));
            }
        }
    }
}
