//! The borrowing datagramer paths (`Datagramer::recv`, `Datagramer::recv_into`) allocate
//! nothing per datagram; the owned iterator allocates (which also shows the counter works).
//!
//! A counting global allocator counts, per thread, every allocation made through Rust's
//! allocator. libsrt's own (C++) allocations do not go through it and are not counted: what is
//! proven is that srtfu's receive path adds no heap allocation per datagram.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::thread;
use std::time::Duration;

use srtfu::{close_after_latency, datagramer, SrtSocket};

struct Counting;

thread_local! {
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    // try_with: a thread being torn down has no counter any more.
    let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
}

// SAFETY: every method forwards to the system allocator unchanged; counting has no effect on
// the memory handed out.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: forwarded with the caller's layout, as GlobalAlloc requires.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        // SAFETY: ptr came from this allocator (System underneath) with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: ptr came from this allocator (System underneath) with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs_here() -> u64 {
    ALLOCS.with(|c| c.get())
}

const COUNT: u32 = 1500;
const WARMUP: u32 = 20;
const LEN: usize = 1316;

fn payload(seq: u32) -> [u8; LEN] {
    let mut p = [0x47u8; LEN];
    p[1..5].copy_from_slice(&seq.to_le_bytes());
    p
}

/// A listener on 127.0.0.1:0 that, once a caller comes, sends COUNT payloads (~13 Mb/s) and
/// closes after the latency. Returns the URL to call and the sender thread.
fn sender() -> (String, thread::JoinHandle<()>) {
    let l = SrtSocket::new_raw().expect("socket");
    l.bind("127.0.0.1:0").expect("bind");
    l.listen(1).expect("listen");
    let addr = l.getsockname().expect("getsockname");
    let t = thread::spawn(move || {
        let (s, _) = l.accept().expect("accept");
        for seq in 0..COUNT {
            s.sendmsg(&payload(seq), None, false).expect("sendmsg");
            if seq % 8 == 7 {
                thread::sleep(Duration::from_micros(600));
            }
        }
        close_after_latency(s, Duration::from_millis(200)).expect("close");
    });
    (format!("srt://{addr}"), t)
}

/// Receives with `recv_one` (which returns the next payload's length and first 5 bytes)
/// and returns how many allocations this thread made over the steady-state datagrams.
fn allocations_per_datagram(mut recv_one: impl FnMut() -> Option<(usize, [u8; 5])>) -> (u64, u32) {
    let mut seq = 0u32;
    let mut before = 0;
    let mut measured = 0u32;
    // The last datagrams stay out of the window: the end of the stream (an error inside the
    // datagramer) may allocate, once.
    while seq < COUNT - 5 {
        if seq == WARMUP {
            before = allocs_here();
        }
        let (n, head) = recv_one().unwrap_or_else(|| panic!("stream ended after {seq}"));
        assert_eq!(n, LEN, "datagram {seq} has the sent length");
        assert_eq!(
            head[..],
            payload(seq)[..5],
            "datagram {seq} in order and intact"
        );
        if seq >= WARMUP {
            measured += 1;
        }
        seq += 1;
    }
    let after = allocs_here();
    while recv_one().is_some() {}
    (after - before, measured)
}

fn head(p: &[u8]) -> [u8; 5] {
    p[..5].try_into().expect("5 bytes")
}

#[test]
fn borrowing_recv_allocates_nothing_per_datagram() {
    let (url, t) = sender();
    let mut d = datagramer(&url).expect("datagramer");
    let (allocs, n) = allocations_per_datagram(|| {
        d.recv()
            .expect("no error on a clean stream")
            .map(|p| (p.len(), head(p)))
    });
    t.join().expect("sender");
    assert!(n > 1000, "measured {n} datagrams");
    assert_eq!(
        allocs, 0,
        "Datagramer::recv allocated {allocs} times over {n} datagrams"
    );
}

#[test]
fn recv_into_a_caller_buffer_allocates_nothing_per_datagram() {
    let (url, t) = sender();
    let mut d = datagramer(&url).expect("datagramer");
    let mut buf = vec![0u8; d.min_buffer()];
    let (allocs, n) = allocations_per_datagram(|| {
        d.recv_into(&mut buf)
            .expect("no error on a clean stream")
            .map(|k| (k, head(&buf[..k])))
    });
    t.join().expect("sender");
    assert!(n > 1000, "measured {n} datagrams");
    assert_eq!(
        allocs, 0,
        "Datagramer::recv_into allocated {allocs} times over {n} datagrams"
    );
}

#[test]
fn owned_iterator_allocates_per_datagram_so_the_counter_sees_allocations() {
    let (url, t) = sender();
    let mut d = datagramer(&url).expect("datagramer");
    let (allocs, n) = allocations_per_datagram(|| {
        d.next()
            .map(|p| p.expect("no error on a clean stream"))
            .map(|p| (p.len(), head(&p)))
    });
    t.join().expect("sender");
    assert!(
        allocs >= n as u64,
        "the owned iterator returns a new Vec per datagram: {allocs} allocations for {n}"
    );
}
