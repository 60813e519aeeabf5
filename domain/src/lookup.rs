//! How a phone number and a full name are written before they are looked
//! up: two ways of writing the same number or name must meet, so both the
//! index and the lookup go through these.
//!
//! - A phone becomes E.164 (`+` and 8 to 15 digits), Vietnam (+84) by
//!   default: `0912 345 678`, `0912.345.678` and `+84 912 345 678` are all
//!   `+84912345678`; `00` is the international prefix.
//! - A full name is NFC, lower case (Unicode's full case mapping), with
//!   whitespace runs made one space and trimmed. Diacritics stay: `Lan`
//!   and `Lân` are different Vietnamese names.

use unicode_normalization::UnicodeNormalization;

/// The country code of a national number (one written with a leading 0).
pub const DEFAULT_COUNTRY_CODE: &str = "84";

/// `phone` in E.164, or `None` when it is not a phone number.
pub fn normalise_phone(phone: &str) -> Option<String> {
    let mut international = false;
    let mut digits = String::with_capacity(phone.len());
    for c in phone.chars() {
        match c {
            '0'..='9' => digits.push(c),
            // `+` only before the first digit, once: `(+84) 912…` is common.
            '+' if digits.is_empty() && !international => international = true,
            ' ' | '\t' | '.' | '-' | '(' | ')' | '/' => {}
            _ => return None,
        }
    }
    let national = if international {
        digits
    } else if let Some(abroad) = digits.strip_prefix("00") {
        abroad.to_string()
    } else if let Some(national) = digits.strip_prefix('0') {
        format!("{DEFAULT_COUNTRY_CODE}{national}")
    } else {
        // Neither + nor a trunk 0: a number of the default country without its 0.
        format!("{DEFAULT_COUNTRY_CODE}{digits}")
    };
    let valid = (8..=15).contains(&national.len()) && !national.starts_with('0');
    valid.then(|| format!("+{national}"))
}

/// `name` as looked up, or `None` when nothing is left of it.
pub fn normalise_name(name: &str) -> Option<String> {
    let composed: String = name.nfc().collect::<String>().to_lowercase();
    let spaced = composed.split_whitespace().collect::<Vec<_>>().join(" ");
    // Lower-casing can decompose (İ): compose again.
    let normalised: String = spaced.nfc().collect();
    (!normalised.is_empty()).then_some(normalised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vietnamese_numbers_meet_whatever_their_writing() {
        for written in [
            "0912345678",
            "0912 345 678",
            "0912.345.678",
            "+84 912 345 678",
            "+84-912-345-678",
            "0084912345678",
            "912345678",
            " (+84) 912345678 ",
        ] {
            assert_eq!(
                normalise_phone(written).as_deref(),
                Some("+84912345678"),
                "{written}"
            );
        }
    }

    #[test]
    fn numbers_abroad_keep_their_country() {
        assert_eq!(
            normalise_phone("+66 2 123 4567").as_deref(),
            Some("+6621234567")
        );
        assert_eq!(
            normalise_phone("00 86 10 1234 5678").as_deref(),
            Some("+861012345678")
        );
    }

    #[test]
    fn what_is_not_a_number_is_none() {
        for bad in [
            "",
            "   ",
            "+",
            "abc",
            "0912x45678",
            "+0912345678",
            "12",
            "+1234567890123456",
        ] {
            assert_eq!(normalise_phone(bad), None, "{bad}");
        }
    }

    #[test]
    fn names_meet_across_case_spacing_and_composition() {
        // "Nguyễn Thị Lan": precomposed, and with combining marks (NFD).
        let precomposed = "Nguyễn Thị Lan";
        let decomposed: String = precomposed.nfd().collect();
        assert_ne!(precomposed, decomposed);
        let expected = Some("nguyễn thị lan".to_string());
        assert_eq!(normalise_name(precomposed), expected);
        assert_eq!(normalise_name(&decomposed), expected);
        assert_eq!(normalise_name("  NGUYỄN   THỊ\tLAN "), expected);
    }

    #[test]
    fn diacritics_make_another_name() {
        assert_ne!(normalise_name("Lan"), normalise_name("Lân"));
    }

    #[test]
    fn an_empty_name_is_none() {
        assert_eq!(normalise_name(" \t\n"), None);
    }
}
