//! `Epoll` against real libsrt sockets on loopback: empty waits, wake-ups from another thread,
//! ERR on a broken connection, registration changes, system sockets, edge triggering, and
//! buffers that grow past their first size.

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::UdpSocket;
use std::os::unix::io::AsRawFd;
use std::thread;
use std::time::{Duration, Instant};

use srtfu::{Epoll, EpollEvents, EpollFlags, ErrorCode, SrtSocket, TransType};
use support::pair;

const SHORT: Option<Duration> = Some(Duration::from_millis(100));

/// Counts the Rust heap allocations made by the current thread while `COUNTING` is on, to
/// prove that waits reuse their buffers. (libsrt's own C++ allocations are not Rust's.)
struct CountingAlloc;
thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static ALLOCS: Cell<usize> = const { Cell::new(0) };
}
// SAFETY: forwards every call to the system allocator unchanged; only counts.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.with(|a| a.set(a.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if COUNTING.with(Cell::get) {
            ALLOCS.with(|a| a.set(a.get() + 1));
        }
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}
#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations_in(f: impl FnOnce()) -> usize {
    ALLOCS.with(|a| a.set(0));
    COUNTING.with(|c| c.set(true));
    f();
    COUNTING.with(|c| c.set(false));
    ALLOCS.with(Cell::get)
}

/// The wait failed at once with PollEmpty (nothing is registered).
fn assert_poll_empty<T: std::fmt::Debug>(r: srtfu::Result<T>) {
    let err = r.unwrap_err();
    assert_eq!(err.code(), Some(ErrorCode::PollEmpty), "{err}");
}

#[test]
fn epoll_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Epoll>();
}

#[test]
fn steady_state_waits_allocate_nothing() {
    let (client, server) = pair(TransType::Live);
    let mut ep = Epoll::new().unwrap();
    ep.add_usock(&server, EpollEvents::IN).unwrap();
    ep.add_usock(&client, EpollEvents::OUT).unwrap();
    // Warm up: first calls may size the buffers.
    assert_eq!(ep.wait(SHORT).unwrap().writable, &[client.id()]);
    assert_eq!(ep.uwait(SHORT).unwrap().len(), 1);
    let n = allocations_in(|| {
        for _ in 0..100 {
            assert_eq!(ep.wait(SHORT).unwrap().writable.len(), 1);
            assert_eq!(ep.uwait(SHORT).unwrap().len(), 1);
        }
    });
    assert_eq!(n, 0, "allocations in 200 ready waits");
    // An idle wait that times out allocates nothing either.
    ep.remove_usock(&client).unwrap();
    let n = allocations_in(|| {
        assert!(ep.wait(Some(Duration::from_millis(10))).unwrap().is_empty());
        assert!(ep
            .uwait(Some(Duration::from_millis(10)))
            .unwrap()
            .is_empty());
    });
    assert_eq!(n, 0, "allocations in timed-out waits");
}

#[test]
fn waiting_on_an_empty_epoll_fails_with_pollempty() {
    let mut ep = Epoll::new().unwrap();
    assert_poll_empty(ep.wait(SHORT));
    assert_poll_empty(ep.uwait(SHORT));
    // Even a wait "forever" returns at once rather than hang.
    assert_poll_empty(ep.uwait(None));
}

#[test]
fn enable_empty_makes_an_empty_wait_time_out_with_nothing() {
    let mut ep = Epoll::new().unwrap();
    let old = ep.set(EpollFlags::ENABLE_EMPTY).unwrap();
    assert_eq!(old, EpollFlags::empty());
    assert_eq!(ep.flags().unwrap(), EpollFlags::ENABLE_EMPTY);

    // Both kinds of wait run out their 200 ms and report nothing.
    let limit = Some(Duration::from_millis(200));
    for which in ["uwait", "wait"] {
        let t = Instant::now();
        let empty = match which {
            "uwait" => ep.uwait(limit).unwrap().is_empty(),
            _ => ep.wait(limit).unwrap().is_empty(),
        };
        let took = t.elapsed();
        assert!(empty, "{which} reported an event");
        assert!(took >= Duration::from_millis(150), "{which}: {took:?}");
    }

    let old = ep.set(EpollFlags::empty()).unwrap();
    assert_eq!(old, EpollFlags::ENABLE_EMPTY);
    assert_poll_empty(ep.wait(SHORT));
}

#[test]
fn infinite_wait_is_woken_by_data_sent_from_another_thread() {
    let (client, server) = pair(TransType::Live);
    let mut ep = Epoll::new().unwrap();
    ep.add_usock(&server, EpollEvents::IN | EpollEvents::ERR)
        .unwrap();
    // Nothing to read yet.
    assert!(ep.wait(SHORT).unwrap().is_empty());

    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        client.sendmsg(b"wake up", None, true).unwrap();
        client
    });
    let t = Instant::now();
    let ready = ep.wait(None).unwrap();
    let waited = t.elapsed();
    assert_eq!(ready.readable, &[server.id()]);
    assert!(
        waited >= Duration::from_millis(200),
        "woke too early: {waited:?}"
    );
    assert!(waited < Duration::from_secs(5), "woke too late: {waited:?}");
    let mut buf = [0u8; 1500];
    let n = server.recvmsg(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"wake up");
    drop(sender.join().unwrap());
}

#[test]
fn uwait_forever_is_woken_too() {
    let (client, server) = pair(TransType::Live);
    let mut ep = Epoll::new().unwrap();
    server.epoll_add_usock(&ep, EpollEvents::IN).unwrap();
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        client.sendmsg(b"x", None, true).unwrap();
        client
    });
    let evs = ep.uwait(None).unwrap();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].socket(), server.id());
    assert!(evs[0].is(EpollEvents::IN));
    drop(sender.join().unwrap());
}

#[test]
fn a_broken_connection_raises_err() {
    let (client, server) = pair(TransType::Live);
    let mut ep = Epoll::new().unwrap();
    ep.add_usock(&server, EpollEvents::IN | EpollEvents::ERR)
        .unwrap();
    assert!(ep.uwait(SHORT).unwrap().is_empty());
    drop(client); // srt_close: the peer learns of it through a shutdown message

    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = None;
    while Instant::now() < deadline {
        let evs = ep.uwait(Some(Duration::from_millis(500))).unwrap();
        if let Some(ev) = evs.iter().find(|e| e.socket() == server.id()) {
            seen = Some(ev.events());
            break;
        }
    }
    let events = seen.expect("no event within 5 s after the peer closed");
    assert!(events.contains(EpollEvents::ERR), "{events:?}");
    // srt_epoll_wait has no ERR list: a broken socket shows as readable (to read the error).
    assert_eq!(ep.wait(SHORT).unwrap().readable, &[server.id()]);
    // The socket itself agrees.
    let mut buf = [0u8; 1500];
    assert!(server.recvmsg(&mut buf).is_err());
}

#[test]
fn update_remove_and_clear_change_what_is_reported() {
    let (client, server) = pair(TransType::Live);
    let mut ep = Epoll::new().unwrap();
    // A connected socket has room to send: OUT at once.
    ep.add_usock(&client, EpollEvents::OUT).unwrap();
    let ready = ep.wait(SHORT).unwrap();
    assert_eq!(ready.writable, &[client.id()]);
    assert!(ready.readable.is_empty());

    // Watching IN only: nothing to read, nothing reported.
    ep.update_usock(&client, EpollEvents::IN).unwrap();
    assert!(ep.wait(SHORT).unwrap().is_empty());
    server.sendmsg(b"hi", None, true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut got = false;
    while !got && Instant::now() < deadline {
        got = ep.wait(SHORT).unwrap().readable == [client.id()];
    }
    assert!(got, "IN not reported after the peer sent");

    ep.remove_usock(&client).unwrap();
    assert_poll_empty(ep.wait(SHORT));

    ep.add_usock(&client, EpollEvents::OUT).unwrap();
    client.epoll_add_usock(&ep, EpollEvents::OUT).unwrap();
    server
        .epoll_update_usock(&ep, EpollEvents::OUT)
        .unwrap_or_else(|_| {
            ep.add_usock(&server, EpollEvents::OUT).unwrap();
        });
    assert_eq!(ep.uwait(SHORT).unwrap().len(), 2);
    ep.clear_usocks().unwrap();
    assert_poll_empty(ep.uwait(SHORT));
    client.epoll_add_usock(&ep, EpollEvents::OUT).unwrap();
    client.epoll_remove_usock(&ep).unwrap();
    assert_poll_empty(ep.uwait(SHORT));
}

#[test]
fn system_sockets_are_reported_by_wait() {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut ep = Epoll::new().unwrap();
    ep.add_ssock(udp.as_raw_fd(), EpollEvents::IN).unwrap();
    assert!(ep.wait(SHORT).unwrap().is_empty());

    let other = UdpSocket::bind("127.0.0.1:0").unwrap();
    other.send_to(b"ping", udp.local_addr().unwrap()).unwrap();
    let ready = ep.wait(Some(Duration::from_secs(3))).unwrap();
    assert_eq!(ready.sys_readable, &[udp.as_raw_fd()]);
    assert!(ready.readable.is_empty());

    ep.update_ssock(udp.as_raw_fd(), EpollEvents::OUT).unwrap();
    let ready = ep.wait(Some(Duration::from_secs(3))).unwrap();
    assert_eq!(ready.sys_writable, &[udp.as_raw_fd()]);
    ep.remove_ssock(udp.as_raw_fd()).unwrap();
    assert_poll_empty(ep.wait(SHORT));
}

#[test]
fn edge_triggered_in_is_reported_once_per_change() {
    let (client, server) = pair(TransType::Live);
    let mut ep = Epoll::new().unwrap();
    ep.add_usock(&server, EpollEvents::IN | EpollEvents::ET)
        .unwrap();
    client.sendmsg(b"one", None, true).unwrap();
    let evs = ep.uwait(Some(Duration::from_secs(3))).unwrap();
    assert_eq!(evs.len(), 1);
    assert!(evs[0].is(EpollEvents::IN));
    // Unread data, but no new edge: nothing more.
    assert!(ep.uwait(SHORT).unwrap().is_empty());

    // Level-triggered for comparison: reported again and again while data waits.
    ep.update_usock(&server, EpollEvents::IN).unwrap();
    assert_eq!(ep.uwait(SHORT).unwrap().len(), 1);
    assert_eq!(ep.uwait(SHORT).unwrap().len(), 1);
}

#[test]
fn more_ready_sockets_than_the_first_buffers_hold_are_all_reported() {
    const N: usize = 40; // more than the initial 16 slots
    let l = SrtSocket::new_raw().unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(N as i32).unwrap();
    let addr = l.getsockname().unwrap();
    let callers: Vec<SrtSocket> = (0..N)
        .map(|_| {
            let c = SrtSocket::new_raw().unwrap();
            c.connect(addr).unwrap();
            c
        })
        .collect();
    let mut ep = Epoll::new().unwrap();
    for c in &callers {
        ep.add_usock(c, EpollEvents::OUT).unwrap();
    }
    let evs = ep.uwait(SHORT).unwrap();
    let mut ids: Vec<_> = evs.iter().map(|e| e.socket()).collect();
    ids.sort();
    let mut want: Vec<_> = callers.iter().map(|c| c.id()).collect();
    want.sort();
    assert_eq!(ids, want);

    // wait() reports what fits, grows, and reports all on a later call.
    let first = ep.wait(SHORT).unwrap().writable.len();
    assert!((16..=N).contains(&first), "{first}");
    let mut all = 0;
    for _ in 0..4 {
        all = ep.wait(SHORT).unwrap().writable.len();
        if all == N {
            break;
        }
    }
    assert_eq!(all, N);
}
