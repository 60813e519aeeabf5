//! The RFC 9162 (§2.1) Merkle tree: hashes, inclusion and consistency
//! proofs, and their verification. Pure functions over leaf hashes, shared
//! by the server, the CLI and the offline bundle check.
//!
//! Unlike the checkpoint's tree (`checkpoint::merkle_root`, which promotes an
//! odd node), this one splits a range of n > 1 leaves at k, the largest power
//! of two smaller than n, so that a tree of size m is a prefix of every
//! larger one and consistency can be proved.

use sha2::{Digest, Sha256};

/// A SHA-256 digest.
pub type Hash = [u8; 32];

/// `SHA-256(0x00 ‖ data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut h = Sha256::new();
    h.update([0x00]);
    h.update(data);
    h.finalize().into()
}

/// `SHA-256(0x01 ‖ left ‖ right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new();
    h.update([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The largest power of two smaller than `n` (n ≥ 2).
fn split(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// A tree over its leaf hashes, with every complete aligned subtree's root
/// computed once (2n hashes kept): the root of any range a proof needs is
/// then at most O(log n) node hashes away.
pub struct Tree {
    /// `levels[l][i]` = root of leaves `[i·2^l, (i+1)·2^l)`.
    levels: Vec<Vec<Hash>>,
}

impl Tree {
    /// Cost: n - 1 node hashes.
    pub fn new(leaves: Vec<Hash>) -> Tree {
        let mut levels = vec![leaves];
        while let Some(below) = levels.last().filter(|l| l.len() > 1) {
            let up = below
                .chunks_exact(2)
                .map(|pair| node_hash(&pair[0], &pair[1]))
                .collect();
            levels.push(up);
        }
        Tree { levels }
    }

    pub fn size(&self) -> usize {
        self.levels.first().map_or(0, Vec::len)
    }

    /// MTH(D[n]); the empty tree's root is `SHA-256("")`.
    pub fn root(&self) -> Hash {
        self.range_root(0, self.size())
    }

    /// MTH of leaves `[start, end)` where the range is one the RFC's
    /// recursion produces (start a multiple of the range's power-of-two split).
    fn range_root(&self, start: usize, end: usize) -> Hash {
        let n = end - start;
        if n == 0 {
            return Sha256::digest([]).into();
        }
        if n.is_power_of_two() && start % n == 0 {
            let level = n.trailing_zeros() as usize;
            if let Some(hash) = self.levels.get(level).and_then(|l| l.get(start / n)) {
                return *hash;
            }
        }
        let k = split(n);
        node_hash(
            &self.range_root(start, start + k),
            &self.range_root(start + k, end),
        )
    }

    /// PATH(index, D[n]): the audit path of leaf `index`, leaf to root.
    /// `None` when the index is not in the tree.
    pub fn inclusion_proof(&self, index: usize) -> Option<Vec<Hash>> {
        if index >= self.size() {
            return None;
        }
        let mut path = Vec::new();
        self.path_into(0, self.size(), index, &mut path);
        Some(path)
    }

    fn path_into(&self, start: usize, end: usize, index: usize, path: &mut Vec<Hash>) {
        if end - start <= 1 {
            return;
        }
        let k = split(end - start);
        if index < start + k {
            self.path_into(start, start + k, index, path);
            path.push(self.range_root(start + k, end));
        } else {
            self.path_into(start + k, end, index, path);
            path.push(self.range_root(start, start + k));
        }
    }

    /// PROOF(old_size, D[n]): proves the tree of the first `old_size` leaves
    /// is a prefix of this one. `None` when `old_size` exceeds the tree;
    /// empty when `old_size` is 0 or the whole tree.
    pub fn consistency_proof(&self, old_size: usize) -> Option<Vec<Hash>> {
        if old_size > self.size() {
            return None;
        }
        let mut proof = Vec::new();
        if old_size > 0 && old_size < self.size() {
            self.subproof_into(0, self.size(), old_size, true, &mut proof);
        }
        Some(proof)
    }

    fn subproof_into(
        &self,
        start: usize,
        end: usize,
        m: usize,
        whole_old_tree: bool,
        proof: &mut Vec<Hash>,
    ) {
        let n = end - start;
        if m == n {
            if !whole_old_tree {
                proof.push(self.range_root(start, end));
            }
            return;
        }
        let k = split(n);
        if m <= k {
            self.subproof_into(start, start + k, m, whole_old_tree, proof);
            proof.push(self.range_root(start + k, end));
        } else {
            self.subproof_into(start + k, end, m - k, false, proof);
            proof.push(self.range_root(start, start + k));
        }
    }
}

/// RFC 9162 §2.1.3.2: does `path` lead from leaf `index`'s hash to `root`
/// in a tree of `size` leaves?
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, path: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s, mut r) = (index, size - 1, *leaf);
    for p in path {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

/// RFC 9162 §2.1.4.2: does `proof` show that the tree of `old_size` leaves
/// with `old_root` is a prefix of the tree of `new_size` leaves with
/// `new_root`? Equal sizes need an empty proof and equal roots; an empty
/// old tree is a prefix of anything.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> bool {
    if old_size > new_size {
        return false;
    }
    if old_size == new_size {
        return proof.is_empty() && old_root == new_root;
    }
    if old_size == 0 {
        return proof.is_empty();
    }
    let mut path: Vec<Hash> = Vec::with_capacity(proof.len() + 1);
    if old_size.is_power_of_two() {
        path.push(*old_root);
    }
    path.extend_from_slice(proof);
    let Some((first, rest)) = path.split_first() else {
        return false;
    };
    let (mut f, mut s) = (old_size - 1, new_size - 1);
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let (mut fr, mut sr) = (*first, *first);
    for c in rest {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && fr == *old_root && sr == *new_root
}

#[cfg(test)]
#[path = "merkle_vectors.rs"]
mod vectors;
