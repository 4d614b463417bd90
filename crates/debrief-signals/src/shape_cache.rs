//! A small cache keyed by a text's shape: its bytes with every ASCII digit as `0`.
//!
//! Logs repeat their lines' shapes (`Found child 6725 in scoreboard slot 10`, then
//! `… 6736 … 10`), and what debrief works out from a line or a message depends on digits
//! only as digits, never on their values (property tests in `mask.rs` and `header.rs` hold
//! each user to that). So the masked key of a recent text of the same shape is the key of
//! this one. One slot per hash, the newest shape wins; a slot is overwritten in place, so
//! its buffers are allocated once.

use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};

/// The next slot content's stamp: one counter for every cache of every thread, so that a
/// stamp stands for one shape and key wherever it is met.
static NEXT_STAMP: AtomicU64 = AtomicU64::new(1);

/// `b`, or `0` when `b` is an ASCII digit.
pub(crate) fn digit_as_zero(b: u8) -> u8 {
    if b.wrapping_sub(b'0') < 10 { b'0' } else { b }
}

/// Masked keys (and an `extra` value each) by the shape of the text they came from.
pub(crate) struct ShapeCache<E> {
    /// The shape of the text last looked up, and its slot.
    shape: Vec<u8>,
    slot: usize,
    slots: Vec<Option<Slot<E>>>,
}

/// One cached text: its shape and its key in one buffer (a shape is valid UTF-8, its
/// text's digits being `0`), so that a look-up touches one allocation, not two.
struct Slot<E> {
    shape_and_key: String,
    shape_len: usize,
    extra: E,
    /// Stands for this shape and key: no other content of any cache gets it.
    stamp: u64,
}

impl<E> ShapeCache<E> {
    pub(crate) fn new(slots: usize) -> ShapeCache<E> {
        ShapeCache {
            shape: Vec::new(),
            slot: 0,
            // A power of two, so that a hash picks its slot by a mask, not a division.
            slots: std::iter::repeat_with(|| None)
                .take(slots.max(2).next_power_of_two())
                .collect(),
        }
    }

    /// Takes the shape of `text`; the key and extra value cached under it and their stamp
    /// (a number, never 0, that stands for this shape and key and no other, in every cache
    /// of every thread), if any.
    pub(crate) fn find(&mut self, text: &str) -> Option<(&str, &E, u64)> {
        // Copied, then mapped in place: both loops run on whole vectors.
        self.shape.clear();
        self.shape.extend_from_slice(text.as_bytes());
        for b in &mut self.shape {
            *b = digit_as_zero(*b);
        }
        let hash = rustc_hash::FxBuildHasher.hash_one(&self.shape[..]);
        self.slot = hash as usize & (self.slots.len() - 1);
        match &self.slots[self.slot] {
            Some(s) if s.shape_and_key.as_bytes().get(..s.shape_len) == Some(&self.shape[..]) => {
                Some((&s.shape_and_key[s.shape_len..], &s.extra, s.stamp))
            }
            _ => None,
        }
    }

    /// Caches `key` and `extra` under the shape of the text last given to [`find`]; their
    /// stamp (0 when nothing was stored).
    ///
    /// [`find`]: ShapeCache::find
    pub(crate) fn store(&mut self, key: &str, extra: E) -> u64 {
        // The shape of a `str` with ASCII digits made `0`: still UTF-8.
        let Ok(shape) = std::str::from_utf8(&self.shape) else {
            return 0;
        };
        let stamp = NEXT_STAMP.fetch_add(1, Ordering::Relaxed);
        match &mut self.slots[self.slot] {
            Some(old) => {
                old.shape_and_key.clear();
                old.shape_and_key.push_str(shape);
                old.shape_and_key.push_str(key);
                old.shape_len = shape.len();
                old.extra = extra;
                old.stamp = stamp;
            }
            empty => {
                *empty = Some(Slot {
                    shape_and_key: [shape, key].concat(),
                    shape_len: shape.len(),
                    extra,
                    stamp,
                })
            }
        }
        stamp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_of_one_shape_share_a_slot_and_others_do_not() {
        let mut cache = ShapeCache::new(64);
        assert!(cache.find("slot 10 of 12").is_none());
        let stamp = cache.store("slot <*> of <*>", 1);
        assert_ne!(stamp, 0);
        assert_eq!(
            cache.find("slot 73 of 99"),
            Some(("slot <*> of <*>", &1, stamp))
        );
        assert!(
            cache.find("slot 7 of 99").is_none(),
            "another length is another shape"
        );
        assert!(cache.find("slit 73 of 99").is_none());
        let other = cache.store("slit <*> of <*>", 2);
        assert_ne!(other, stamp, "a stamp stands for one shape and key");
        assert_eq!(
            cache.find("slit 11 of 22"),
            Some(("slit <*> of <*>", &2, other))
        );
    }
}
