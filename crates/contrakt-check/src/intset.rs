//! An exact set of `i64`, for uniqueness on integer columns: a bitmap while the values are
//! dense, a hash set otherwise.
//!
//! Keys are most often dense (an auto-increment id, a surrogate key): 10M of them span about
//! 10M values, and one bit each (1.25 MB, written in key order) replaces a hash set of about
//! 160 MB whose inserts miss the cache. Profiling the orders workload put 40 % of the check's
//! CPU in the hash set's inserts and rehashes. Sparse values (hashes, snowflake ids) keep the
//! hash set: the bitmap is left, once, as soon as it would take more than [`BITS_PER_VALUE`]
//! bits per value held (beyond a fixed [`FREE_BITS`] that a first batch in random order may
//! use), so it never takes more memory than the hash set would.

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{HashSet, Result};

/// The most bits per distinct value the bitmap may use: a hash set holds an `i64` in about
/// 16 bytes (its control byte and load factor included), 128 bits.
pub(crate) const BITS_PER_VALUE: u128 = 64;
/// Bits the bitmap may use whatever it holds (8 MiB): a first batch spread over a wide but
/// dense range does not send the set to the hash set before it has seen enough values.
const FREE_BITS: u128 = 1 << 26;

#[derive(Debug, Clone)]
pub(crate) enum IntSet {
    /// Value `base + 64 * w + b` is present when bit `b` of `words[w]` is set; `base` is a
    /// multiple of 64, so two bitmaps line up word for word.
    Dense {
        base: i64,
        words: Vec<u64>,
        len: usize,
    },
    Sparse(HashSet<i64>),
}

impl Default for IntSet {
    fn default() -> Self {
        IntSet::Dense { base: 0, words: Vec::new(), len: 0 }
    }
}

impl IntSet {
    pub(crate) fn len(&self) -> usize {
        match self {
            IntSet::Dense { len, .. } => *len,
            IntSet::Sparse(s) => s.len(),
        }
    }

    /// The bytes held, for the memory pool.
    pub(crate) fn bytes(&self) -> usize {
        match self {
            IntSet::Dense { words, .. } => words.capacity() * 8,
            IntSet::Sparse(s) => s.capacity() * (std::mem::size_of::<i64>() + 1),
        }
    }

    /// Adds the non-null values of an integer column, as `i64`; `repeat` as in [`IntSet::extend`].
    pub(crate) fn extend_column(&mut self, column: &ArrayRef, repeat: impl FnMut(i64)) -> Result<()> {
        let a = cast(column, &DataType::Int64)?;
        let a = a.as_primitive::<Int64Type>();
        if a.null_count() == 0 {
            self.extend(a.values(), repeat);
        } else {
            let present: Vec<i64> = a.iter().flatten().collect();
            self.extend(&present, repeat);
        }
        Ok(())
    }

    /// Adds `values`; calls `repeat` with each one that was already there (also within
    /// `values`), in order.
    pub(crate) fn extend(&mut self, values: &[i64], mut repeat: impl FnMut(i64)) {
        let Some(&first) = values.first() else { return };
        let (lo, hi) = values.iter().fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        if self.cover(lo, hi, values.len()) {
            let IntSet::Dense { base, words, len } = self else { unreachable!("cover keeps the bitmap") };
            let base = *base;
            let mut added = 0;
            for &v in values {
                // In range: `cover` made room for lo..=hi.
                let at = (v as i128 - base as i128) as usize;
                let (w, bit) = (at >> 6, 1u64 << (at & 63));
                if words[w] & bit != 0 {
                    repeat(v);
                } else {
                    words[w] |= bit;
                    added += 1;
                }
            }
            *len += added;
            return;
        }
        let IntSet::Sparse(set) = self else { unreachable!("cover leaves the bitmap when it refuses") };
        set.reserve(values.len().min(1 << 20));
        for &v in values {
            if !set.insert(v) {
                repeat(v);
            }
        }
    }

    /// Adds every value of `other`; calls `repeat` with each one already here.
    pub(crate) fn merge(&mut self, other: &IntSet, mut repeat: impl FnMut(i64)) {
        match other {
            IntSet::Dense { base: ob, words: ow, len: olen } => {
                let Some((first, last)) = dense_bounds(*ob, ow) else { return };
                if self.cover(first, last, *olen) {
                    let IntSet::Dense { base, words, len } = self else { unreachable!("cover keeps the bitmap") };
                    // Only the words holding values: `other`'s may run past this one's ends.
                    let (fw, lw) =
                        (((first as i128 - *ob as i128) >> 6) as usize, ((last as i128 - *ob as i128) >> 6) as usize);
                    let offset = ((*ob as i128 + ((fw as i128) << 6) - *base as i128) >> 6) as usize;
                    for (i, &o) in ow.iter().enumerate().take(lw + 1).skip(fw) {
                        let w = &mut words[offset + i - fw];
                        let both = *w & o;
                        if both != 0 {
                            each_bit(both, |b| repeat(*ob + ((i as i64) << 6) + b as i64));
                        }
                        *len += (o & !*w).count_ones() as usize;
                        *w |= o;
                    }
                } else {
                    let IntSet::Sparse(set) = self else { unreachable!("cover leaves the bitmap when it refuses") };
                    set.reserve(*olen);
                    other.for_each(|v| {
                        if !set.insert(v) {
                            repeat(v)
                        }
                    });
                }
            }
            IntSet::Sparse(s) => {
                let values: Vec<i64> = s.iter().copied().collect();
                self.extend(&values, repeat);
            }
        }
    }

    pub(crate) fn contains(&self, v: i64) -> bool {
        match self {
            IntSet::Dense { base, words, .. } => {
                let at = v as i128 - *base as i128;
                at >= 0 && ((at >> 6) as usize) < words.len() && words[(at >> 6) as usize] & (1u64 << (at & 63)) != 0
            }
            IntSet::Sparse(s) => s.contains(&v),
        }
    }

    /// Calls `f` with every value, in ascending order for the bitmap.
    pub(crate) fn for_each(&self, mut f: impl FnMut(i64)) {
        match self {
            IntSet::Dense { base, words, .. } => {
                for (i, &w) in words.iter().enumerate() {
                    each_bit(w, |b| f(base + ((i as i64) << 6) + b as i64));
                }
            }
            IntSet::Sparse(s) => s.iter().for_each(|v| f(*v)),
        }
    }

    /// Makes the bitmap cover `lo..=hi` and returns true, or, when that would take more than
    /// the bits allowed for what it would then hold (`more` values at most), turns it into
    /// the hash set and returns false. A hash set stays one.
    fn cover(&mut self, lo: i64, hi: i64, more: usize) -> bool {
        let IntSet::Dense { base, words, len } = self else { return false };
        let (lo, hi) = if words.is_empty() {
            (lo as i128, hi as i128)
        } else {
            let end = *base as i128 + ((words.len() as i128) << 6);
            if lo as i128 >= *base as i128 && (hi as i128) < end {
                return true;
            }
            ((lo as i128).min(*base as i128), (hi as i128).max(end - 1))
        };
        let (from, to) = (lo.div_euclid(64) * 64, hi.div_euclid(64) * 64 + 64);
        let allowed = FREE_BITS.max(BITS_PER_VALUE * (*len + more) as u128);
        if (to - from) as u128 > allowed {
            let mut set = HashSet::default();
            set.reserve(*len + more.min(1 << 20));
            self.for_each(|v| {
                set.insert(v);
            });
            *self = IntSet::Sparse(set);
            return false;
        }
        // Grow by at least half again on the side that grows, so that values arriving in
        // order extend the bitmap a logarithmic number of times, within what is allowed.
        let (old_from, old_to) =
            if words.is_empty() { (from, from) } else { (*base as i128, *base as i128 + ((words.len() as i128) << 6)) };
        let slack = ((old_to - old_from) / 2 / 64 * 64).min((allowed as i128 - (to - from)).max(0) / 2 / 64 * 64);
        let new_from = if from < old_from || words.is_empty() { (from - slack).max(i64::MIN as i128) } else { from };
        // `to` is at most 2^63 (one past the last word holding i64::MAX): no value is cut off.
        let new_to = if to > old_to { (to + slack).min(i64::MAX as i128 + 1) } else { to };
        let new_from = new_from.div_euclid(64) * 64;
        let mut grown = vec![0u64; ((new_to - new_from) >> 6) as usize];
        if !words.is_empty() {
            let at = ((old_from - new_from) >> 6) as usize;
            grown[at..at + words.len()].copy_from_slice(words);
        }
        *words = grown;
        *base = new_from as i64;
        true
    }
}

/// The first and last values a bitmap holds.
fn dense_bounds(base: i64, words: &[u64]) -> Option<(i64, i64)> {
    let first = words.iter().position(|w| *w != 0)?;
    let last = words.iter().rposition(|w| *w != 0)?;
    Some((
        base + ((first as i64) << 6) + words[first].trailing_zeros() as i64,
        base + ((last as i64) << 6) + 63 - words[last].leading_zeros() as i64,
    ))
}

/// Calls `f` with the position of each set bit of `w`, lowest first.
fn each_bit(mut w: u64, mut f: impl FnMut(u32)) {
    while w != 0 {
        f(w.trailing_zeros());
        w &= w - 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::{BTreeMap, BTreeSet};

    /// What a set must say after `batches`, merged from `parts` partial sets: the distinct
    /// values, and how many times each value repeated.
    fn reference(batches: &[Vec<i64>]) -> (BTreeSet<i64>, BTreeMap<i64, usize>) {
        let mut seen = BTreeSet::new();
        let mut repeats = BTreeMap::new();
        for v in batches.iter().flatten() {
            if !seen.insert(*v) {
                *repeats.entry(*v).or_default() += 1;
            }
        }
        (seen, repeats)
    }

    fn through_sets(batches: &[Vec<i64>], parts: usize) -> (BTreeSet<i64>, BTreeMap<i64, usize>, usize) {
        let mut partial: Vec<IntSet> = (0..parts).map(|_| IntSet::default()).collect();
        let mut repeats = BTreeMap::new();
        for (i, b) in batches.iter().enumerate() {
            partial[i % parts].extend(b, |v| *repeats.entry(v).or_default() += 1);
        }
        let mut all = IntSet::default();
        for p in &partial {
            all.merge(p, |v| *repeats.entry(v).or_default() += 1);
        }
        let mut seen = BTreeSet::new();
        all.for_each(|v| {
            assert!(seen.insert(v), "{v} listed twice");
            assert!(all.contains(v), "{v} listed but not contained");
        });
        for v in batches.iter().flatten() {
            for probe in [v.wrapping_sub(1), *v, v.wrapping_add(1), v.wrapping_add(64)] {
                assert_eq!(all.contains(probe), seen.contains(&probe), "{probe}");
            }
        }
        (seen, repeats, all.len())
    }

    #[test]
    fn dense_keys_stay_a_bitmap_and_sparse_ones_become_a_hash_set() {
        let mut dense = IntSet::default();
        for chunk in (1..=1_000_000i64).collect::<Vec<_>>().chunks(8192) {
            dense.extend(chunk, |v| panic!("{v} is not repeated"));
        }
        assert!(matches!(dense, IntSet::Dense { .. }));
        assert_eq!(dense.len(), 1_000_000);
        assert!(dense.bytes() < 1_000_000 / 8 * 2 + 64, "{} bytes", dense.bytes());
        let mut sparse = IntSet::default();
        let spread: Vec<i64> = (0..10_000i64).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15u64 as i64)).collect();
        sparse.extend(&spread, |v| panic!("{v} is not repeated"));
        assert!(matches!(sparse, IntSet::Sparse(_)));
        assert_eq!(sparse.len(), 10_000);
    }

    #[test]
    fn extremes_of_i64_are_held() {
        let batches = vec![vec![i64::MIN, i64::MIN + 1, -1, 0], vec![i64::MAX, i64::MAX - 63, i64::MIN]];
        let (seen, repeats) = reference(&batches);
        for parts in 1..3 {
            let (got, got_repeats, len) = through_sets(&batches, parts);
            assert_eq!((&got, &got_repeats, len), (&seen, &repeats, seen.len()));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Whatever the values (dense, spread, negative, repeated) and however they are split
        /// over partial sets, the set holds exactly the distinct values and reports exactly
        /// the repeats.
        #[test]
        fn the_set_holds_the_distinct_values_and_reports_every_repeat(
            batches in proptest::collection::vec(
                prop_oneof![
                    proptest::collection::vec(-300i64..300, 0..200),
                    proptest::collection::vec(any::<i64>(), 0..20),
                    proptest::collection::vec(-(1i64 << 40)..(1i64 << 40), 0..50),
                ],
                0..12,
            ),
            parts in 1usize..4,
        ) {
            let (seen, repeats) = reference(&batches);
            let (got, got_repeats, len) = through_sets(&batches, parts);
            prop_assert_eq!(len, seen.len());
            prop_assert_eq!(got, seen);
            prop_assert_eq!(got_repeats, repeats);
        }
    }
}
