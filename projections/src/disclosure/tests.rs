//! The cell key method's properties, and differencing attacks that fail.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::*;

/// Record keys under a test secret.
fn record_key(kind: &str, id: Uuid) -> i64 {
    RecordKeys::new(&[7; 32]).of(kind, id)
}

fn keys(kind: &str, n: u128) -> Vec<i64> {
    (0..n)
        .map(|i| record_key(kind, Uuid::from_u128(i + 1)))
        .collect()
}

const CONTROLLED: Disclosure = Disclosure::Controlled { floor: 5 };

#[test]
fn the_ptable_rows_are_probability_distributions_that_never_go_negative() {
    for row in &PTABLE {
        let total: f64 = row.probabilities.iter().sum();
        assert!((total - 1.0).abs() < 1e-9, "{:?}", row.counts);
        // Noise -k needs a count of at least k.
        for (i, p) in row.probabilities.iter().enumerate() {
            let noise = i as i64 - MAX_NOISE;
            if *p > 0.0 {
                assert!(
                    row.counts.0 + noise >= 0,
                    "row {:?} noise {noise}",
                    row.counts
                );
            }
        }
    }
    // Unbiased from 3 on: the expected noise is zero.
    let mean: f64 = PTABLE[2]
        .probabilities
        .iter()
        .enumerate()
        .map(|(i, p)| (i as f64 - 2.0) * p)
        .sum();
    assert!(mean.abs() < 1e-9);
}

#[test]
fn the_same_records_always_get_the_same_noise() {
    let ks = keys("call", 40);
    let sum: i64 = ks.iter().sum();
    let reordered: i64 = ks.iter().rev().sum();
    assert_eq!(perturbed(40, sum), perturbed(40, reordered));
    // A contribution and its withdrawal leave the cell key as it was.
    let extra = record_key("call", Uuid::from_u128(999));
    assert_eq!(cell_key(sum + extra - extra), cell_key(sum));
    assert_eq!(record_key("call", Uuid::from_u128(7)), ks[6]);
    assert_ne!(record_key("person", Uuid::from_u128(7)), ks[6]);
}

#[test]
fn no_count_below_the_floor_is_ever_published() {
    for n in 0..200u128 {
        let ks = keys("call", n);
        let sum: i64 = ks.iter().sum();
        let count = n as i64;
        if let Some(shown) = CONTROLLED.cell(count, sum) {
            assert!(shown == 0 || shown >= 5, "{count} shown as {shown}");
            assert!((shown - count).abs() <= MAX_NOISE || shown == 0);
        }
        let figure = CONTROLLED.figure(count, sum);
        assert!(figure == 0 || figure >= 5, "{count} shown as {figure}");
    }
}

#[test]
fn exact_roles_see_exact_counts() {
    let exact = Disclosure::Exact { min_cell_size: 1 };
    assert_eq!(exact.cell(3, 12345), Some(3));
    assert_eq!(exact.figure(3, 12345), 3);
    assert_eq!(Disclosure::Exact { min_cell_size: 5 }.cell(3, 1), None);
}

/// "Totals minus parts": a region with one call, the national total and
/// every other region published; the attacker subtracts. Over many
/// synthetic tables the difference is the true count only as often as
/// noise happens to cancel, never systematically.
#[test]
fn totals_minus_parts_does_not_reveal_a_small_cell() {
    let (mut trials, mut exact) = (0, 0);
    for t in 0..500u128 {
        // Nine big regions and one region holding a single call.
        let mut total = (0i64, 0i64);
        let mut parts_published = 0i64;
        for region in 0..9u128 {
            let n = 20 + ((t * 7 + region * 13) % 50);
            let ks = keys(&format!("call-{t}-{region}"), n);
            let sum: i64 = ks.iter().sum();
            total.0 += n as i64;
            total.1 += sum;
            parts_published += CONTROLLED.figure(n as i64, sum);
        }
        let lone = record_key("call", Uuid::from_u128(10_000 + t));
        total.0 += 1;
        total.1 += lone;
        let published_total = CONTROLLED.figure(total.0, total.1);
        assert_eq!(
            CONTROLLED.cell(1, lone).unwrap_or(0),
            0,
            "the lone call is not shown"
        );
        trials += 1;
        if published_total - parts_published == 1 {
            exact += 1;
        }
    }
    // Ten noisy terms: the difference lands on the truth rarely (about 1 in 7 here), and
    // the attacker cannot tell when it does.
    assert!(
        exact * 4 < trials,
        "{exact} of {trials} differences were exact"
    );
}

/// "Narrow periods": the same period widened by days without records is
/// the same set of records, so it gets the same answer: an attacker cannot
/// average fresh noise by rephrasing the query.
#[test]
fn rephrasing_a_query_over_the_same_records_gives_the_same_answer() {
    let ks = keys("call", 37);
    let sum: i64 = ks.iter().sum();
    let answers: Vec<i64> = (0..10).map(|_| CONTROLLED.figure(37, sum)).collect();
    assert!(answers.windows(2).all(|w| w[0] == w[1]));
}

/// Two periods that differ by one call (a day more): the difference of the
/// published totals is spread over -4..=5, not pinned at 1.
#[test]
fn periods_differing_by_one_record_do_not_reveal_it() {
    let mut differences = std::collections::BTreeMap::<i64, u32>::new();
    for t in 0..400u128 {
        let ks = keys(&format!("period-{t}"), 30 + (t % 40));
        let sum: i64 = ks.iter().sum();
        let n = ks.len() as i64;
        let one = record_key("call", Uuid::from_u128(50_000 + t));
        let difference = CONTROLLED.figure(n + 1, sum + one) - CONTROLLED.figure(n, sum);
        *differences.entry(difference).or_default() += 1;
    }
    let at_truth = differences.get(&1).copied().unwrap_or(0);
    assert!(differences.len() >= 5, "{differences:?}");
    assert!(at_truth * 3 < 400, "{differences:?}");
}

/// The key of a record is not what its id alone gives: not the unkeyed
/// SHA-256 of the id that record keys once were, and another secret gives
/// other keys, so knowing ids does not let anyone compute the noise.
#[test]
fn record_keys_need_the_secret() {
    let unkeyed = |kind: &str, id: Uuid| {
        let mut hash = Sha256::new();
        hash.update(b"casetrail record key\0");
        hash.update(kind.as_bytes());
        hash.update([0]);
        hash.update(id.as_bytes());
        let digest = hash.finalize();
        i64::from(u32::from_be_bytes([
            digest[0], digest[1], digest[2], digest[3],
        ]))
    };
    let other = RecordKeys::new(&[8; 32]);
    let (mut same_as_unkeyed, mut same_as_other) = (0, 0);
    for i in 0..1000u128 {
        let id = Uuid::from_u128(i);
        let key = record_key("call", id);
        assert!((0..KEY_SPACE).contains(&key));
        assert_eq!(key, record_key("call", id), "deterministic");
        same_as_unkeyed += u32::from(key == unkeyed("call", id));
        same_as_other += u32::from(key == other.of("call", id));
    }
    assert_eq!((same_as_unkeyed, same_as_other), (0, 0));
    assert_eq!(format!("{other:?}"), "RecordKeys(..)", "no secret in logs");
}
