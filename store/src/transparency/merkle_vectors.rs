//! Known answers from the Certificate Transparency reference data
//! (transparency-dev/merkle, `testonly/constants.go` and
//! `reference_test.go`: the RFC 6962/9162 tree over eight fixed inputs),
//! then every proof of every small tree checked both ways.

use super::*;

const INPUTS: [&str; 8] = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
];

/// Roots of the trees of the first 0..=8 inputs.
const ROOTS: [&str; 9] = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];

/// (index, size, audit path).
const INCLUSION: [(usize, usize, &[&str]); 6] = [
    (0, 1, &[]),
    (
        0,
        2,
        &["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
    ),
    (
        1,
        2,
        &["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
    ),
    (
        2,
        3,
        &["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        &[
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        5,
        8,
        &[
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

/// (old size, new size, proof).
const CONSISTENCY: [(usize, usize, &[&str]); 4] = [
    (1, 1, &[]),
    (
        1,
        8,
        &[
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        2,
        5,
        &[
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        8,
        &[
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
];

fn h(text: &str) -> Hash {
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .unwrap_or_else(|| panic!("{text} is not 32 hex bytes"))
}

fn leaves() -> Vec<Hash> {
    INPUTS
        .iter()
        .map(|i| leaf_hash(&hex::decode(i).unwrap_or_else(|_| panic!("{i}"))))
        .collect()
}

#[test]
fn roots_match_the_reference_trees() {
    let leaves = leaves();
    for (size, expected) in ROOTS.iter().enumerate() {
        assert_eq!(
            hex::encode(Tree::new(leaves[..size].to_vec()).root()),
            *expected,
            "size {size}"
        );
    }
}

#[test]
fn inclusion_proofs_match_the_reference_and_verify() {
    let leaves = leaves();
    for (index, size, expected) in INCLUSION {
        let proof = Tree::new(leaves[..size].to_vec())
            .inclusion_proof(index)
            .unwrap_or_default();
        let expected: Vec<Hash> = expected.iter().map(|e| h(e)).collect();
        assert_eq!(proof, expected, "index {index} of {size}");
        let tree_root = h(ROOTS[size]);
        assert!(verify_inclusion(
            index as u64,
            size as u64,
            &leaves[index],
            &proof,
            &tree_root
        ));
    }
}

#[test]
fn consistency_proofs_match_the_reference_and_verify() {
    let leaves = leaves();
    for (old, new, expected) in CONSISTENCY {
        let proof = Tree::new(leaves[..new].to_vec())
            .consistency_proof(old)
            .unwrap_or_default();
        let expected: Vec<Hash> = expected.iter().map(|e| h(e)).collect();
        assert_eq!(proof, expected, "{old} → {new}");
        assert!(verify_consistency(
            old as u64,
            new as u64,
            &h(ROOTS[old]),
            &h(ROOTS[new]),
            &proof
        ));
    }
}

/// Every proof of every tree up to 8 leaves verifies, and any changed hash,
/// index or size makes it fail.
#[test]
fn every_small_proof_verifies_and_no_altered_one_does() {
    let leaves = leaves();
    let flip = |mut x: Hash| {
        x[7] ^= 0x40;
        x
    };
    for size in 1..=8usize {
        let tree = Tree::new(leaves[..size].to_vec());
        let tree_root = tree.root();
        for index in 0..size {
            let proof = Tree::new(leaves[..size].to_vec())
                .inclusion_proof(index)
                .unwrap_or_default();
            let (i, n) = (index as u64, size as u64);
            assert!(verify_inclusion(i, n, &leaves[index], &proof, &tree_root));
            assert!(!verify_inclusion(
                i,
                n,
                &flip(leaves[index]),
                &proof,
                &tree_root
            ));
            assert!(!verify_inclusion(
                i,
                n,
                &leaves[index],
                &proof,
                &flip(tree_root)
            ));
            assert!(!verify_inclusion(n, n, &leaves[index], &proof, &tree_root));
            if size > 1 {
                assert!(!verify_inclusion(
                    (i + 1) % n,
                    n,
                    &leaves[index],
                    &proof,
                    &tree_root
                ));
                for k in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[k] = flip(bad[k]);
                    assert!(!verify_inclusion(i, n, &leaves[index], &bad, &tree_root));
                }
                assert!(!verify_inclusion(
                    i,
                    n,
                    &leaves[index],
                    &proof[1..],
                    &tree_root
                ));
            }
        }
        for old in 0..=size {
            let proof = tree.consistency_proof(old).unwrap_or_default();
            let old_root = Tree::new(leaves[..old].to_vec()).root();
            let (m, n) = (old as u64, size as u64);
            assert!(
                verify_consistency(m, n, &old_root, &tree_root, &proof),
                "{old}→{size}"
            );
            if old > 0 {
                assert!(!verify_consistency(
                    m,
                    n,
                    &flip(old_root),
                    &tree_root,
                    &proof
                ));
                assert!(!verify_consistency(
                    m,
                    n,
                    &old_root,
                    &flip(tree_root),
                    &proof
                ));
                for k in 0..proof.len() {
                    let mut bad = proof.clone();
                    bad[k] = flip(bad[k]);
                    assert!(!verify_consistency(m, n, &old_root, &tree_root, &bad));
                }
            }
        }
    }
    assert!(Tree::new(leaves.clone()).inclusion_proof(8).is_none());
    assert!(Tree::new(leaves[..3].to_vec())
        .consistency_proof(4)
        .is_none());
}
