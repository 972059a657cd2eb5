//! Heap bytes, measured with a counting global allocator: the small and the
//! large account's snapshot, and live state per visitor.
//!
//! `cargo bench -p groupgate-bench --bench memory` prints the memory table of `docs/PERFORMANCE.md`.
// A global allocator needs `unsafe impl`; the library itself forbids unsafe code.
#![allow(unsafe_code, missing_docs, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod workload;

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use groupgate::{Routing, Snapshot};
use workload::Workload;

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counter only records sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size(), Ordering::Relaxed);
        // SAFETY: same layout, forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size, Ordering::Relaxed);
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> usize {
    LIVE.load(Ordering::Relaxed)
}

/// Heap bytes a snapshot of `w` holds (requested sizes, without allocator overhead).
fn snapshot_bytes(w: &Workload) -> (usize, Snapshot) {
    let builder = w.builder(Routing::LeastBusy);
    let before = live();
    let snapshot = Snapshot::new(builder.build().unwrap());
    (live() - before, snapshot)
}

fn main() {
    let (small, _keep) = snapshot_bytes(&Workload::small());
    let large_workload = Workload::large();
    let (large, _keep2) = snapshot_bytes(&large_workload);
    println!("memory/small_snapshot   {small:>9} B   (goal ≤ 2,048 B)");
    println!("memory/large_snapshot   {large:>9} B   (goal ≤ 1,048,576 B)");
    // The large account's shape at 10,000 and 100,000 visitors, and with
    // 2,000 groups; `cargo bench` (not the once-through test run) also
    // measures 1,000,000.
    per_visitor(&Workload::generate(2_000, 200, 10_000, 42), "200 groups");
    per_visitor(&large_workload, "200 groups");
    per_visitor(&Workload::generate(2_000, 2_000, 10_000, 42), "2,000 groups");
    per_visitor(&Workload::generate(2_000, 2_000, 100_000, 42), "2,000 groups");
    if std::env::args().any(|a| a == "--bench") {
        per_visitor(&Workload::generate(2_000, 200, 1_000_000, 42), "200 groups");
    }
}

/// Heap bytes per visitor on the site, with where they go.
fn per_visitor(workload: &Workload, shape: &str) {
    let mut account = groupgate::Account::new(workload.builder(Routing::LeastBusy).build().unwrap(), 0);
    let before = live();
    let n = workload.visitors.len();
    // A visitor's own id is part of what it costs; a tag naming a
    // configured group shares the group's id.
    for (id, group) in &workload.visitors {
        account.visit(id, group.as_deref()).unwrap();
    }
    let counted = live() - before;
    let per = |b: usize| b as f64 / n as f64;
    // Where a visitor's bytes go, by the store's own account of its parts;
    // what the counting allocator saw beyond them is shown as the rest.
    let parts = account.visitor_memory();
    println!("memory/per_visitor      {:>9.1} B   (goal ≤ 64 B; {n} visitors, {shape})", per(counted));
    println!("  of which records       {:>9.1} B", per(parts.records));
    println!("  of which id bytes      {:>9.1} B", per(parts.ids));
    println!("  of which id index      {:>9.1} B", per(parts.id_index));
    println!("  of which group lists   {:>9.1} B", per(parts.group_lists));
    println!("  of which side table    {:>9.1} B", per(parts.side_table));
    println!("  the rest               {:>9.1} B", per(counted) - per(parts.total()));
    drop(account);
}
