//! Allocations on the event path, counted by a global allocator that
//! counts the calls made on the current thread: a leave of a visitor
//! without a chat allocates nothing (its record, id and list places are
//! freed, and no side-table row is made for it on its way out).
// A global allocator needs `unsafe impl`; the library itself forbids unsafe code.
#![allow(unsafe_code, missing_docs)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use groupgate::{Account, AgentSpec, ConfigBuilder, GroupSpec, Status};

struct Counting;

thread_local! {
    /// Allocations and reallocations made by this thread.
    static CALLS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: nothing to count while the thread's locals are torn down.
    let _ = CALLS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every call is forwarded to the system allocator unchanged; the
// counter only records that it happened.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: same layout, forwarded.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from `alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn calls() -> usize {
    CALLS.with(Cell::get)
}

#[test]
fn a_leave_without_a_chat_allocates_nothing() {
    let config = ConfigBuilder::new()
        .group(GroupSpec::new("en"))
        .group(GroupSpec::new("de"))
        .agent(AgentSpec::new("anna").member("en"))
        .build()
        .unwrap();
    let mut account = Account::new(config, 0);
    account.set_status("anna", Status::Online).unwrap();
    let ids: Vec<String> = (0..2_000).map(|i| format!("visitor-{i}")).collect();
    for (i, id) in ids.iter().enumerate() {
        account.visit(id, [Some("en"), Some("de"), None][i % 3]).unwrap();
    }
    // Chats for some, so that the side table is in use.
    for id in ids.iter().step_by(7) {
        account.route(id).unwrap();
    }
    let chatless: Vec<&String> = ids.iter().enumerate().filter(|(i, _)| i % 7 != 0).map(|(_, id)| id).collect();
    let mut allocated = Vec::new();
    for id in chatless.iter().take(500) {
        let before = calls();
        account.leave(id).unwrap();
        allocated.push(calls() - before);
    }
    let allocating = allocated.iter().filter(|&&n| n > 0).count();
    assert_eq!(allocating, 0, "leaves that allocated: {allocating} of {}", allocated.len());
}
