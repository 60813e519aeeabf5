//! Finding a province as people write it: `HA_NOI`, `ha_noi`, `Hà Nội`,
//! `Ha Noi`, `HÀ NỘI`, `Thành phố Hà Nội`, `TP. Hồ Chí Minh`. Spreadsheets
//! hold names, not codes; the hotline's staff type Vietnamese with or
//! without diacritics, and in either tone-mark style (`Hòa`/`Hoà`).
//!
//! Everything is compared after [`fold`]: diacritics removed (Unicode
//! decomposition, then `đ` → `d`), lower case, and every run of spaces or
//! punctuation made one `_`. A code folds to itself and each name folds to
//! its code (`Bà Rịa - Vũng Tàu` → `ba_ria_vung_tau`), so one comparison
//! serves both; the separators are then ignored (`HaNoi`). A lookup never
//! guesses: an unmatched value is refused, and [`nearest_province`] only
//! offers a suggestion for the message.

use unicode_normalization::UnicodeNormalization;

use super::provinces::{Province, PROVINCES};

/// Other names in use for a province, folded: former names and common abbreviations.
const ALIASES: [(&str, &str); 5] = [
    // A province until 31 December 2024, then the city of Huế.
    ("thua_thien_hue", "HUE"),
    ("hcm", "HO_CHI_MINH"),
    ("hcmc", "HO_CHI_MINH"),
    ("sai_gon", "HO_CHI_MINH"),
    // The city's full name, as forms write it.
    ("thanh_pho_ho_chi_minh", "HO_CHI_MINH"),
];

/// Administrative words written before a name: "tỉnh" (province), "thành phố" / "TP" (city).
const PREFIXES: [&str; 3] = ["tinh_", "thanh_pho_", "tp_"];

/// `text` without diacritics, in lower case, with `_` between its words.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    let mut gap = false;
    for c in text.nfd() {
        let c = match c {
            'đ' | 'Đ' => 'd',
            // Combining marks: the tones and vowel marks NFD split off.
            '\u{300}'..='\u{36f}' => continue,
            c => c,
        };
        if c.is_alphanumeric() {
            if gap && !folded.is_empty() {
                folded.push('_');
            }
            gap = false;
            folded.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    folded
}

/// The folded key without separators, so that `ha_noi`, `ha noi` and `hanoi` meet.
fn compact(folded: &str) -> String {
    folded.replace('_', "")
}

fn by_code(code: &str) -> Option<&'static Province> {
    PROVINCES.iter().find(|p| p.code == code)
}

/// The keys a value may match under: as written, and without an administrative prefix.
fn keys(text: &str) -> Vec<String> {
    let folded = fold(text);
    let mut keys = vec![compact(&folded)];
    for prefix in PREFIXES {
        if let Some(rest) = folded.strip_prefix(prefix) {
            keys.push(compact(rest));
        }
    }
    keys
}

/// The province `text` names, by code or by Vietnamese name, with or
/// without diacritics, in any case; `None` when nothing matches exactly.
/// Whether the province was in force on a given day is the caller's
/// question (see [`super::province_on`]): a merged province is still found.
pub fn find_province(text: &str) -> Option<&'static Province> {
    let keys = keys(text);
    let named = PROVINCES.iter().find(|p| {
        let code = compact(&fold(p.code));
        let name = compact(&fold(p.name));
        keys.iter().any(|k| *k == code || *k == name)
    });
    named.or_else(|| {
        ALIASES
            .iter()
            .find(|(alias, _)| keys.iter().any(|k| *k == compact(alias)))
            .and_then(|(_, code)| by_code(code))
    })
}

/// The province whose code or name is nearest to `text` (by edit distance
/// on the folded forms), when one is near enough to be a likely typo: for a
/// message such as "did you mean HA_NOI?", never to record.
pub fn nearest_province(text: &str) -> Option<&'static Province> {
    let key = keys(text).pop().unwrap_or_default();
    if key.is_empty() {
        return None;
    }
    let candidates = PROVINCES.iter().map(|p| (compact(&fold(p.name)), p)).chain(
        ALIASES
            .iter()
            .filter_map(|(a, c)| Some((compact(a), by_code(c)?))),
    );
    let (distance, province) = candidates
        .map(|(candidate, p)| (strsim::levenshtein(&key, &candidate), p))
        .min_by_key(|(d, _)| *d)?;
    let tolerance = (key.chars().count() / 3).max(2);
    (distance <= tolerance).then_some(province)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(text: &str) -> Option<&'static str> {
        find_province(text).map(|p| p.code)
    }

    #[test]
    fn every_province_is_found_by_its_code_and_by_its_name_however_written() {
        for p in PROVINCES.iter() {
            assert_eq!(code(p.code), Some(p.code));
            assert_eq!(code(&p.code.to_ascii_lowercase()), Some(p.code));
            assert_eq!(code(p.name), Some(p.code), "{}", p.name);
            assert_eq!(code(&p.name.to_uppercase()), Some(p.code), "{}", p.name);
            assert_eq!(code(&fold(p.name).replace('_', " ")), Some(p.code));
        }
    }

    #[test]
    fn spreadsheet_spellings_are_found() {
        for (written, expected) in [
            ("Hà Nội", "HA_NOI"),
            ("ha noi", "HA_NOI"),
            ("HaNoi", "HA_NOI"),
            ("  HÀ NỘI ", "HA_NOI"),
            ("Thành phố Hà Nội", "HA_NOI"),
            ("TP. Hồ Chí Minh", "HO_CHI_MINH"),
            ("TP.HCM", "HO_CHI_MINH"),
            ("Hoà Bình", "HOA_BINH"),
            ("Hòa Bình", "HOA_BINH"),
            ("tỉnh Đắk Lắk", "DAK_LAK"),
            ("Dak Lak", "DAK_LAK"),
            ("Bà Rịa–Vũng Tàu", "BA_RIA_VUNG_TAU"),
            ("Thừa Thiên Huế", "HUE"),
            // Decomposed input (as some systems store Vietnamese) folds the same.
            ("Ha\u{300} Nô\u{323}\u{302}i", "HA_NOI"),
        ] {
            assert_eq!(code(written), Some(expected), "{written}");
        }
    }

    #[test]
    fn nothing_is_guessed_but_a_near_miss_is_suggested() {
        for text in ["Ha Nol", "Hanoii", "Quang Nam Da Nang", "", "---", "Paris"] {
            assert_eq!(code(text), None, "{text}");
        }
        assert_eq!(nearest_province("Ha Nol").map(|p| p.code), Some("HA_NOI"));
        assert_eq!(nearest_province("Hanoii").map(|p| p.code), Some("HA_NOI"));
        assert_eq!(
            nearest_province("Can Tho city").map(|p| p.code),
            None,
            "too far to be a typo"
        );
        assert_eq!(nearest_province("Paris").map(|p| p.code), None);
        assert_eq!(nearest_province(""), None);
    }
}
