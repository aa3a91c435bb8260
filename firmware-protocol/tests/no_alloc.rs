//! Proves that decoding arbitrary bytes never allocates: a counting global allocator wraps the
//! system one, and the decoder loop runs between two reads of this thread's counter.
// A GlobalAlloc implementation is unsafe by definition; this test-only wrapper just forwards.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use firmware_protocol::{Command, Decoder};
use proptest::prelude::*;

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: every method forwards its arguments unchanged to `System`, which upholds the contract.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCS.with(|c| c.get())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn decoding_arbitrary_bytes_never_allocates_or_panics(bytes in proptest::collection::vec(any::<u8>(), 0..8192)) {
        let before = allocations();
        let mut d = Decoder::new();
        let mut packets = 0usize;
        for &b in &bytes {
            if let Some(Ok(p)) = d.push(b) {
                packets += 1;
                let _ = Command::parse(p.payload());
            }
        }
        let after = allocations();
        prop_assert_eq!(after - before, 0, "decoder allocated");
        prop_assert!(packets <= bytes.len() / 11);
    }
}
