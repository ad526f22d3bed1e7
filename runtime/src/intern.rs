//! Interned strings: attribute keys and span names that arrive through the ABI as
//! `(ptr, len)` but are almost always literals of the woven code, and short attribute
//! values, which repeat (methods, schemes, hosts, routes).
//!
//! The ABI cannot tell a `&'static str` from a borrowed one, so the runtime cannot hand the
//! caller's pointer to `Key::from_static_str`. Instead each distinct string is copied once
//! into a leaked allocation, which *is* `'static`, and later calls with the same bytes get
//! that copy back: no allocation, no copy, no UTF-8 validation (equal bytes to a valid
//! string are valid), and nothing for the exporter thread to free.
//!
//! Lookup compares the bytes, never the caller's pointer, so it is sound for heap strings
//! whose memory is reused. Each table is a fixed, lock-free open-addressing array: readers
//! do plain acquire loads (no shared read-modify-write, so threads do not contend), writers
//! publish an entry with one compare-and-swap. A table holds at most half its slots and
//! strings of at most [`MAX_LEN`] bytes, so the leaked memory is bounded; once a table is
//! full, new strings fall back to an owned copy (the caller's `None`).

use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};

/// Longest string worth interning.
pub const MAX_LEN: usize = 128;

struct Entry {
    hash: u64,
    text: &'static str,
}

/// A bounded, append-only set of `'static` strings with `N` slots (a power of two).
pub struct Interner<const N: usize> {
    slots: [AtomicPtr<Entry>; N],
    len: AtomicUsize,
}

impl<const N: usize> Default for Interner<N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<const N: usize> Interner<N> {
    pub const fn new() -> Self {
        assert!(N.is_power_of_two());
        Interner { slots: [const { AtomicPtr::new(std::ptr::null_mut()) }; N], len: AtomicUsize::new(0) }
    }

    /// The interned copy of `bytes`, inserting it if there is room; `None` when `bytes` is
    /// too long, not UTF-8, or the table is full and does not hold it.
    #[inline(always)]
    pub fn get(&self, bytes: &[u8]) -> Option<&'static str> {
        if bytes.len() > MAX_LEN {
            return None;
        }
        let hash = hash(bytes);
        let mask = N - 1;
        let mut i = hash as usize & mask;
        for _ in 0..N {
            let p = self.slots[i].load(Ordering::Acquire);
            if p.is_null() {
                return self.insert(i, hash, bytes);
            }
            // Safety: published entries are leaked, immutable and never freed.
            let entry = unsafe { &*p };
            if entry.hash == hash && eq(entry.text.as_bytes(), bytes) {
                return Some(entry.text);
            }
            i = (i + 1) & mask;
        }
        None
    }

    #[cold]
    #[inline(never)]
    fn insert(&self, mut i: usize, hash: u64, bytes: &[u8]) -> Option<&'static str> {
        let text = std::str::from_utf8(bytes).ok()?;
        // Reserve room first, so the table never holds more than N / 2 entries.
        if self.len.fetch_add(1, Ordering::Relaxed) >= N / 2 {
            self.len.fetch_sub(1, Ordering::Relaxed);
            return None;
        }
        let leaked: &'static str = Box::leak(Box::<str>::from(text));
        let entry = Box::into_raw(Box::new(Entry { hash, text: leaked }));
        let mask = N - 1;
        for _ in 0..N {
            match self.slots[i].compare_exchange(std::ptr::null_mut(), entry, Ordering::AcqRel, Ordering::Acquire) {
                Ok(_) => return Some(leaked),
                Err(other) => {
                    // Safety: as in `get`.
                    let other = unsafe { &*other };
                    if other.hash == hash && other.text == text {
                        // Another thread interned the same string first: use theirs.
                        // Safety: `entry` and `leaked` were never published.
                        unsafe {
                            drop(Box::from_raw(entry));
                            drop(Box::from_raw(leaked as *const str as *mut str));
                        }
                        self.len.fetch_sub(1, Ordering::Relaxed);
                        return Some(other.text);
                    }
                }
            }
            i = (i + 1) & mask;
        }
        // Unreachable while at most N / 2 slots are used; keep the string, lose the slot.
        Some(leaked)
    }
}

/// Byte equality without a call into libc's `memcmp` for short strings (word loads, the
/// last one overlapping).
#[inline(always)]
fn eq(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if !(8..=32).contains(&n) {
        return a == b;
    }
    // Words at 0, 8, 16 (as far as they fit) and the last, overlapping, word.
    let mut at = 0;
    while at + 8 < n {
        if word(a, at) != word(b, at) {
            return false;
        }
        at += 8;
    }
    word(a, n - 8) == word(b, n - 8)
}

#[inline(always)]
fn word(b: &[u8], at: usize) -> u64 {
    // One bounds check and one unaligned load.
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// A multiply-rotate hash over 8-byte words (strings here are short); the tail is read
/// with overlapping loads rather than copied.
#[inline(always)]
pub(crate) fn hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    #[inline(always)]
    fn mix(h: u64, w: u64) -> u64 {
        (h ^ w).wrapping_mul(K).rotate_left(26)
    }
    let n = bytes.len();
    let mut h = n as u64;
    let tail = if n >= 8 {
        let mut at = 0;
        while at + 8 < n {
            h = mix(h, word(bytes, at));
            at += 8;
        }
        word(bytes, n - 8)
    } else if n >= 4 {
        let lo = u32::from_le_bytes(bytes[..4].try_into().expect("4 bytes"));
        let hi = u32::from_le_bytes(bytes[n - 4..].try_into().expect("4 bytes"));
        (u64::from(hi) << 32) | u64::from(lo)
    } else if n > 0 {
        (u64::from(bytes[0]) << 16) | (u64::from(bytes[n / 2]) << 8) | u64::from(bytes[n - 1])
    } else {
        0
    };
    let h = mix(h, tail);
    // Fold the high bits down: the slot index uses the low bits.
    h ^ (h >> 32)
}

/// Attribute keys (literals in woven code): at most 1024 distinct keys.
pub static KEYS: Interner<2048> = Interner::new();
/// Span names (low-cardinality by the OpenTelemetry spec): at most 2048 distinct names.
pub static NAMES: Interner<4096> = Interner::new();
/// Short string attribute values (methods, schemes, versions, hosts, routes): at most 1024.
/// Values can be chosen by a remote peer, so this table can fill with junk; it then only
/// stops saving allocations, which is where it started.
pub static VALUES: Interner<2048> = Interner::new();
/// Longest attribute value worth interning: longer ones are rarely repeated.
pub const MAX_VALUE_LEN: usize = 32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_same_static_copy() {
        static T: Interner<8> = Interner::new();
        let owned = String::from("http.request.method");
        let a = T.get(owned.as_bytes()).unwrap();
        let b = T.get(b"http.request.method").unwrap();
        assert_eq!(a, "http.request.method");
        assert!(std::ptr::eq(a, b));
        assert_ne!(a.as_ptr(), owned.as_ptr());
    }

    #[test]
    fn reused_memory_with_new_contents_is_not_confused() {
        static T: Interner<8> = Interner::new();
        let mut buf = *b"aaaa";
        assert_eq!(T.get(&buf), Some("aaaa"));
        buf.copy_from_slice(b"bbbb");
        assert_eq!(T.get(&buf), Some("bbbb"));
        assert_eq!(T.get(b""), Some(""));
    }

    #[test]
    fn bounded_and_refuses_bad_input() {
        static T: Interner<8> = Interner::new();
        for i in 0..4 {
            assert!(T.get(format!("k{i}").as_bytes()).is_some());
        }
        assert_eq!(T.get(b"one too many"), None);
        assert_eq!(T.get(b"k2"), Some("k2"));
        static U: Interner<8> = Interner::new();
        assert_eq!(U.get(&[0xff, 0xfe]), None);
        assert_eq!(U.get(&[b'x'; MAX_LEN + 1]), None);
    }

    #[test]
    fn concurrent_inserts_agree() {
        static T: Interner<64> = Interner::new();
        let got: Vec<Vec<&'static str>> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4)
                .map(|_| s.spawn(|| (0..16).map(|i| T.get(format!("key{i}").as_bytes()).unwrap()).collect()))
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        for v in &got[1..] {
            for (a, b) in v.iter().zip(&got[0]) {
                assert!(std::ptr::eq(*a, *b));
            }
        }
        assert_eq!(T.len.load(Ordering::Relaxed), 16);
    }
}
