//! Trace and span ids for the lean recording path: a per-thread wyrand generator, seeded
//! once per thread from the OS-seeded keys of `std`'s `RandomState` (the SDK's generator is
//! a per-thread `rand` RNG reached through its span builder). Ids need to be unique and
//! unpredictable enough to sample on (W3C trace context, "random" flag not claimed), not
//! secret: a fast, well-mixed 64-bit generator is the right tool.

use std::cell::Cell;
use std::hash::{BuildHasher, RandomState};

use opentelemetry::trace::{SpanId, TraceId};

thread_local! {
    static STATE: Cell<u64> = const { Cell::new(0) };
}

#[cold]
fn seed() -> u64 {
    let thread = std::thread::current().id();
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    RandomState::new().hash_one((thread, nanos)) | 1
}

/// The next 64 random bits of this thread (never 0).
#[inline]
pub fn next() -> u64 {
    STATE
        .try_with(|state| {
            let mut s = state.get();
            if s == 0 {
                s = seed();
            }
            // wyrand (Wang Yi): one add, one 64×64→128 multiply, one xor.
            s = s.wrapping_add(0xa076_1d64_78bd_642f);
            state.set(s);
            let t = u128::from(s) * u128::from(s ^ 0xe703_7ed1_a0b4_28db);
            ((t >> 64) as u64 ^ t as u64).max(1)
        })
        .unwrap_or_else(|_| seed())
}

#[inline]
pub fn span_id() -> SpanId {
    SpanId::from(next())
}

#[inline]
pub fn trace_id() -> TraceId {
    TraceId::from((u128::from(next()) << 64) | u128::from(next()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_valid_and_distinct() {
        let spans: HashSet<u64> = (0..100_000).map(|_| next()).collect();
        assert_eq!(spans.len(), 100_000);
        assert!(trace_id() != TraceId::INVALID && span_id() != SpanId::INVALID);
    }

    #[test]
    fn threads_get_different_sequences() {
        let a = std::thread::spawn(next).join().expect("thread");
        let b = std::thread::spawn(next).join().expect("thread");
        assert_ne!(a, b);
    }
}
