//! `Epoll` against real libsrt sockets on loopback: empty waits, wake-ups from another thread,
//! registrations from other threads while one waits, ERR on a broken connection, registration
//! changes, system sockets, edge triggering, only subscribed events reported, waits that
//! ignore OUT, and buffers that grow past their first size (or, the caller's, never do).

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::UdpSocket;
use std::os::unix::io::AsRawFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant};

use srtfu::{
    Epoll, EpollBuffers, EpollEvent, EpollEvents, EpollFlags, ErrorCode, SockStatus, SrtSocket,
    TransType, SRTO_CONNTIMEO,
};
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
    let ep = Epoll::new().unwrap();
    let mut b = EpollBuffers::new();
    ep.add_usock(&server, EpollEvents::IN).unwrap();
    ep.add_usock(&client, EpollEvents::OUT).unwrap();
    // Warm up: first calls may size the buffers.
    assert_eq!(ep.wait(&mut b, SHORT).unwrap().writable, &[client.id()]);
    assert_eq!(ep.uwait(&mut b, SHORT).unwrap().len(), 1);
    let mut events = [EpollEvent::default(); 4];
    let (mut read, mut write) = ([0; 4], [0; 4]);
    let n = allocations_in(|| {
        for _ in 0..100 {
            assert_eq!(ep.wait(&mut b, SHORT).unwrap().writable.len(), 1);
            assert_eq!(ep.uwait(&mut b, SHORT).unwrap().len(), 1);
            assert_eq!(ep.uwait_into(&mut events, SHORT).unwrap().len(), 1);
            let ready = ep
                .wait_into(Some(&mut read), Some(&mut write), None, None, SHORT)
                .unwrap();
            assert_eq!(ready.writable.len(), 1);
        }
    });
    assert_eq!(n, 0, "allocations in 400 ready waits");
    // An idle wait that times out allocates nothing either.
    ep.remove_usock(&client).unwrap();
    let n = allocations_in(|| {
        assert!(ep
            .wait(&mut b, Some(Duration::from_millis(10)))
            .unwrap()
            .is_empty());
        assert!(ep
            .uwait(&mut b, Some(Duration::from_millis(10)))
            .unwrap()
            .is_empty());
    });
    assert_eq!(n, 0, "allocations in timed-out waits");
}

#[test]
fn waiting_on_an_empty_epoll_fails_with_pollempty() {
    let ep = Epoll::new().unwrap();
    let mut b = EpollBuffers::new();
    assert_poll_empty(ep.wait(&mut b, SHORT));
    assert_poll_empty(ep.uwait(&mut b, SHORT));
    // Even a wait "forever" returns at once rather than hang.
    assert_poll_empty(ep.uwait(&mut b, None));
}

#[test]
fn enable_empty_makes_an_empty_wait_time_out_with_nothing() {
    let ep = Epoll::new().unwrap();
    let mut b = EpollBuffers::new();
    let old = ep.set(EpollFlags::ENABLE_EMPTY).unwrap();
    assert_eq!(old, EpollFlags::empty());
    assert_eq!(ep.flags().unwrap(), EpollFlags::ENABLE_EMPTY);

    // Both kinds of wait run out their 200 ms and report nothing.
    let limit = Some(Duration::from_millis(200));
    for which in ["uwait", "wait"] {
        let t = Instant::now();
        let empty = match which {
            "uwait" => ep.uwait(&mut b, limit).unwrap().is_empty(),
            _ => ep.wait(&mut b, limit).unwrap().is_empty(),
        };
        let took = t.elapsed();
        assert!(empty, "{which} reported an event");
        assert!(took >= Duration::from_millis(150), "{which}: {took:?}");
    }

    let old = ep.set(EpollFlags::empty()).unwrap();
    assert_eq!(old, EpollFlags::ENABLE_EMPTY);
    assert_poll_empty(ep.wait(&mut b, SHORT));
}

#[test]
fn infinite_wait_is_woken_by_data_sent_from_another_thread() {
    let (client, server) = pair(TransType::Live);
    let ep = Epoll::new().unwrap();
    let mut b = EpollBuffers::new();
    ep.add_usock(&server, EpollEvents::IN | EpollEvents::ERR)
        .unwrap();
    // Nothing to read yet.
    assert!(ep.wait(&mut b, SHORT).unwrap().is_empty());

    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(300));
        client.sendmsg(b"wake up", None, true).unwrap();
        client
    });
    let t = Instant::now();
    let ready = ep.wait(&mut b, None).unwrap();
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
    let ep = Epoll::new().unwrap();
    let mut b = EpollBuffers::new();
    server.epoll_add_usock(&ep, EpollEvents::IN).unwrap();
    let sender = thread::spawn(move || {
        thread::sleep(Duration::from_millis(200));
        client.sendmsg(b"x", None, true).unwrap();
        client
    });
    let evs = ep.uwait(&mut b, None).unwrap();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].socket(), server.id());
    assert!(evs[0].is(EpollEvents::IN));
    drop(sender.join().unwrap());
}

#[test]
fn a_broken_connection_raises_err() {
    let (client, server) = pair(TransType::Live);
    let ep = Epoll::new().unwrap();
    let mut b = EpollBuffers::new();
    ep.add_usock(&server, EpollEvents::IN | EpollEvents::ERR)
        .unwrap();
    assert!(ep.uwait(&mut b, SHORT).unwrap().is_empty());
    drop(client); // srt_close: the peer learns of it through a shutdown message

    let deadline = Instant::now() + Duration::from_secs(5);
    let mut seen = None;
    while Instant::now() < deadline {
        let evs = ep.uwait(&mut b, Some(Duration::from_millis(500))).unwrap();
        if let Some(ev) = evs.iter().find(|e| e.socket() == server.id()) {
            seen = Some(ev.events());
            break;
        }
    }
    let events = seen.expect("no event within 5 s after the peer closed");
    assert!(events.contains(EpollEvents::ERR), "{events:?}");
    // srt_epoll_wait has no ERR list: a broken socket shows as readable (to read the error).
    assert_eq!(ep.wait(&mut b, SHORT).unwrap().readable, &[server.id()]);
    // The socket itself agrees: the connection ended. libsrt 1.5.1 says SRT_ECONNLOST;
    // 1.5.3 and later may have collected the socket already, whose first SRT_EINVSOCK srtfu
    // reads as the end of the stream (see SrtSocket::recv, "End of stream").
    let mut buf = [0u8; 1500];
    match server.recvmsg(&mut buf) {
        Err(e) => assert_eq!(e.code(), Some(ErrorCode::ConnLost), "{e}"),
        Ok(n) => {
            assert!(srtfu::version() >= (1, 5, 3), "libsrt 1.5.1 answered {n}");
            assert_eq!(n, 0);
        }
    }
}

#[test]
fn update_remove_and_clear_change_what_is_reported() {
    let (client, server) = pair(TransType::Live);
    let ep = Epoll::new().unwrap();
    let mut b = EpollBuffers::new();
    // A connected socket has room to send: OUT at once.
    ep.add_usock(&client, EpollEvents::OUT).unwrap();
    let ready = ep.wait(&mut b, SHORT).unwrap();
    assert_eq!(ready.writable, &[client.id()]);
    assert!(ready.readable.is_empty());

    // Watching IN only: nothing to read, nothing reported.
    ep.update_usock(&client, EpollEvents::IN).unwrap();
    assert!(ep.wait(&mut b, SHORT).unwrap().is_empty());
    server.sendmsg(b"hi", None, true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut got = false;
    while !got && Instant::now() < deadline {
        got = ep.wait(&mut b, SHORT).unwrap().readable == [client.id()];
    }
    assert!(got, "IN not reported after the peer sent");

    ep.remove_usock(&client).unwrap();
    assert_poll_empty(ep.wait(&mut b, SHORT));

    ep.add_usock(&client, EpollEvents::OUT).unwrap();
    client.epoll_add_usock(&ep, EpollEvents::OUT).unwrap();
    server
        .epoll_update_usock(&ep, EpollEvents::OUT)
        .unwrap_or_else(|_| {
            ep.add_usock(&server, EpollEvents::OUT).unwrap();
        });
    assert_eq!(ep.uwait(&mut b, SHORT).unwrap().len(), 2);
    ep.clear_usocks().unwrap();
    assert_poll_empty(ep.uwait(&mut b, SHORT));
    client.epoll_add_usock(&ep, EpollEvents::OUT).unwrap();
    client.epoll_remove_usock(&ep).unwrap();
    assert_poll_empty(ep.uwait(&mut b, SHORT));
}

#[test]
fn system_sockets_are_reported_by_wait() {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let ep = Epoll::new().unwrap();
    let mut b = EpollBuffers::new();
    ep.add_ssock(udp.as_raw_fd(), EpollEvents::IN).unwrap();
    assert!(ep.wait(&mut b, SHORT).unwrap().is_empty());

    let other = UdpSocket::bind("127.0.0.1:0").unwrap();
    other.send_to(b"ping", udp.local_addr().unwrap()).unwrap();
    let ready = ep.wait(&mut b, Some(Duration::from_secs(3))).unwrap();
    assert_eq!(ready.sys_readable, &[udp.as_raw_fd()]);
    assert!(ready.readable.is_empty());

    ep.update_ssock(udp.as_raw_fd(), EpollEvents::OUT).unwrap();
    let ready = ep.wait(&mut b, Some(Duration::from_secs(3))).unwrap();
    assert_eq!(ready.sys_writable, &[udp.as_raw_fd()]);
    ep.remove_ssock(udp.as_raw_fd()).unwrap();
    assert_poll_empty(ep.wait(&mut b, SHORT));
}

#[test]
fn edge_triggered_in_is_reported_once_per_change() {
    let (client, server) = pair(TransType::Live);
    let ep = Epoll::new().unwrap();
    let mut b = EpollBuffers::new();
    ep.add_usock(&server, EpollEvents::IN | EpollEvents::ET)
        .unwrap();
    client.sendmsg(b"one", None, true).unwrap();
    let evs = ep.uwait(&mut b, Some(Duration::from_secs(3))).unwrap();
    assert_eq!(evs.len(), 1);
    assert!(evs[0].is(EpollEvents::IN));
    // Unread data, but no new edge: nothing more.
    assert!(ep.uwait(&mut b, SHORT).unwrap().is_empty());

    // Level-triggered for comparison: reported again and again while data waits.
    ep.update_usock(&server, EpollEvents::IN).unwrap();
    assert_eq!(ep.uwait(&mut b, SHORT).unwrap().len(), 1);
    assert_eq!(ep.uwait(&mut b, SHORT).unwrap().len(), 1);
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
    let ep = Epoll::new().unwrap();
    let mut b = EpollBuffers::new();
    for c in &callers {
        ep.add_usock(c, EpollEvents::OUT).unwrap();
    }
    let evs = ep.uwait(&mut b, SHORT).unwrap();
    let mut ids: Vec<_> = evs.iter().map(|e| e.socket()).collect();
    ids.sort();
    let mut want: Vec<_> = callers.iter().map(|c| c.id()).collect();
    want.sort();
    assert_eq!(ids, want);

    // wait() reports what fits, grows, and reports all on a later call.
    let first = ep.wait(&mut b, SHORT).unwrap().writable.len();
    assert!((16..=N).contains(&first), "{first}");
    let mut all = 0;
    for _ in 0..4 {
        all = ep.wait(&mut b, SHORT).unwrap().writable.len();
        if all == N {
            break;
        }
    }
    assert_eq!(all, N);
}

/// An idle listener on 127.0.0.1:0: it keeps an epoll non-empty and never becomes ready
/// unless someone connects.
fn idle_listener() -> SrtSocket {
    let l = SrtSocket::new_raw().unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(1).unwrap();
    l
}

/// A non-blocking caller with a 300 ms connect timeout, not yet connected, and a bound UDP
/// port that never answers SRT (so the connect fails).
fn failing_caller() -> (SrtSocket, UdpSocket) {
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let c = SrtSocket::new_raw().unwrap();
    c.set_blocking(false).unwrap();
    c.setsockflag(SRTO_CONNTIMEO, 300).unwrap();
    (c, silent)
}

#[test]
fn a_socket_added_from_another_thread_wakes_a_wait_with_no_timeout() {
    let (client, _server) = pair(TransType::Live);
    let idle = idle_listener();
    let ep = Arc::new(Epoll::new().unwrap());
    ep.add_usock(&idle, EpollEvents::IN).unwrap();

    // Thread A: waits with no timeout, through &Epoll, with its own buffers.
    let (tx, rx) = mpsc::channel();
    let waiter = {
        let ep = ep.clone();
        thread::spawn(move || {
            let mut buf = EpollBuffers::new();
            let evs: Vec<_> = ep
                .uwait(&mut buf, None)
                .unwrap()
                .iter()
                .map(|e| (e.socket(), e.events()))
                .collect();
            tx.send(evs).unwrap();
        })
    };
    // A is waiting: nothing is ready yet.
    assert!(rx.recv_timeout(Duration::from_millis(300)).is_err());

    // Thread B (this one): adds a socket that is ready (a connected socket has room to send).
    let t = Instant::now();
    ep.add_usock(&client, EpollEvents::OUT).unwrap();
    assert!(
        t.elapsed() < Duration::from_millis(200),
        "add_usock waited for the wait in progress: {:?}",
        t.elapsed()
    );
    // Watchdog: A's wait must return it well within 5 s.
    let evs = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("the waiting thread did not see the socket added while it waited");
    assert_eq!(evs, vec![(client.id(), EpollEvents::OUT)]);
    waiter.join().unwrap();
}

#[test]
fn registrations_from_other_threads_never_wait_for_a_wait_in_progress() {
    let (client, server) = pair(TransType::Live);
    let idle = idle_listener();
    let ep = Arc::new(Epoll::new().unwrap());
    ep.add_usock(&idle, EpollEvents::IN).unwrap();
    let stop = Arc::new(AtomicBool::new(false));

    // One thread sits in uwait with no timeout, round after round, as a reactor would.
    let waiter = {
        let (ep, stop) = (ep.clone(), stop.clone());
        thread::spawn(move || {
            let mut buf = EpollBuffers::new();
            let mut rounds = 0;
            while !stop.load(Ordering::SeqCst) && rounds < 10_000 {
                ep.uwait(&mut buf, None).unwrap();
                rounds += 1;
            }
            rounds
        })
    };
    thread::sleep(Duration::from_millis(100));
    // Two threads add, update and remove sockets meanwhile; nothing they watch is ready
    // (IN on sockets with nothing to read), so the waiter stays in libsrt.
    let movers: Vec<_> = [client, server]
        .into_iter()
        .map(|s| {
            let ep = ep.clone();
            thread::spawn(move || {
                let mut slowest = Duration::ZERO;
                for _ in 0..200 {
                    let t = Instant::now();
                    ep.add_usock(&s, EpollEvents::IN).unwrap();
                    ep.update_usock(&s, EpollEvents::IN | EpollEvents::ERR)
                        .unwrap();
                    ep.remove_usock(&s).unwrap();
                    slowest = slowest.max(t.elapsed());
                }
                (s, slowest)
            })
        })
        .collect();
    let mut socks = Vec::new();
    for m in movers {
        let (s, slowest) = m.join().unwrap();
        assert!(
            slowest < Duration::from_millis(100),
            "a registration took {slowest:?}"
        );
        socks.push(s);
    }
    // Wake the waiter with a ready socket and let it finish.
    stop.store(true, Ordering::SeqCst);
    ep.add_usock(&socks[0], EpollEvents::OUT).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while !waiter.is_finished() && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(10));
    }
    assert!(waiter.is_finished(), "the waiter did not wake");
    // It woke only for the ready socket: the churn raised no event.
    assert_eq!(waiter.join().unwrap(), 1);
}

/// Everything `uwait` reported for `sock` within `span`, polling with 100 ms waits, and the
/// number of waits made.
fn reports_for(ep: &Epoll, sock: &SrtSocket, span: Duration) -> (Vec<EpollEvents>, usize) {
    let mut buf = EpollBuffers::new();
    let (mut seen, mut waits) = (Vec::new(), 0);
    let end = Instant::now() + span;
    while Instant::now() < end && waits < 1000 {
        waits += 1;
        for ev in ep.uwait(&mut buf, SHORT).unwrap() {
            if ev.socket() == sock.id() {
                seen.push(ev.events());
            }
        }
    }
    (seen, waits)
}

#[test]
fn a_failed_nonblocking_connect_edge_triggered_reports_err_once_and_nothing_unsubscribed() {
    // libsrt alone reports IN|OUT|ERR here, then IN on every later srt_epoll_uwait (measured
    // on 1.5.1; the code that does it is the same up to 1.5.5).
    let (c, silent) = failing_caller();
    let idle = idle_listener(); // keeps the epoll non-empty once libsrt drops the caller
    let ep = Epoll::new().unwrap();
    ep.add_usock(&idle, EpollEvents::IN).unwrap();
    ep.add_usock(&c, EpollEvents::OUT | EpollEvents::ERR | EpollEvents::ET)
        .unwrap();
    c.connect(silent.local_addr().unwrap()).unwrap();

    let (seen, waits) = reports_for(&ep, &c, Duration::from_millis(1500));
    assert_eq!(
        seen.len(),
        1,
        "{} reports in 1.5 s, the first: {:?}",
        seen.len(),
        &seen[..seen.len().min(3)]
    );
    assert_eq!(
        seen,
        vec![EpollEvents::OUT | EpollEvents::ERR],
        "one edge, only subscribed events"
    );
    assert_ne!(c.getsockstate(), SockStatus::Connected);
    // The loop did not spin: each wait with nothing to report lasted its 100 ms.
    assert!(waits <= 16, "{waits} waits in 1.5 s");
}

#[test]
fn a_failed_nonblocking_connect_level_triggered_reports_only_subscribed_events() {
    let (c, silent) = failing_caller();
    let ep = Epoll::new().unwrap();
    ep.add_usock(&c, EpollEvents::OUT | EpollEvents::ERR)
        .unwrap();
    c.connect(silent.local_addr().unwrap()).unwrap();
    let (seen, _) = reports_for(&ep, &c, Duration::from_millis(800));
    assert!(!seen.is_empty(), "the failure was not reported");
    // Level-triggered: reported while it lasts, never with the IN libsrt adds.
    for ev in &seen {
        assert_eq!(*ev, EpollEvents::OUT | EpollEvents::ERR);
    }

    // srt_epoll_wait lists a broken socket in both lists; srtfu keeps it only in those its
    // subscription covers. Subscribed for OUT only: writable, not readable.
    let (c2, silent2) = failing_caller();
    let ep2 = Epoll::new().unwrap();
    ep2.add_usock(&c2, EpollEvents::OUT).unwrap();
    c2.connect(silent2.local_addr().unwrap()).unwrap();
    let mut b = EpollBuffers::new();
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut found = false;
    while !found && Instant::now() < deadline {
        let ready = ep2.wait(&mut b, SHORT).unwrap();
        if !ready.is_empty() {
            assert_eq!(ready.writable, &[c2.id()]);
            assert!(ready.readable.is_empty(), "{ready:?}");
            found = true;
        }
    }
    assert!(found, "the failed connect was not reported by wait");
}

#[test]
fn wait_into_without_a_write_list_ignores_out() {
    let (client, server) = pair(TransType::Live);
    let ep = Epoll::new().unwrap();
    // Always writable, readable once the peer sends.
    ep.add_usock(&client, EpollEvents::IN | EpollEvents::OUT)
        .unwrap();
    let mut read = [0; 4];
    let mut write = [0; 4];

    // With a write list, OUT ends the wait at once.
    let ready = ep
        .wait_into(Some(&mut read), Some(&mut write), None, None, SHORT)
        .unwrap();
    assert_eq!(ready.writable, &[client.id()]);

    // Without one, libsrt has nowhere to report OUT: the wait runs out its time.
    let t = Instant::now();
    let ready = ep
        .wait_into(
            Some(&mut read),
            None,
            None,
            None,
            Some(Duration::from_millis(300)),
        )
        .unwrap();
    assert!(ready.is_empty(), "{ready:?}");
    assert!(
        t.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );

    // ...and IN still ends it.
    server.sendmsg(b"in", None, true).unwrap();
    let ready = ep
        .wait_into(
            Some(&mut read),
            None,
            None,
            None,
            Some(Duration::from_secs(3)),
        )
        .unwrap();
    assert_eq!(ready.readable, &[client.id()]);
    assert!(ready.writable.is_empty());

    // With no list at all and no timeout, libsrt refuses (a wait that could never end).
    let err = ep.wait_into(None, None, None, None, None).unwrap_err();
    assert!(err.code().is_some(), "{err}");
}

#[test]
fn uwait_into_reports_what_fits_and_the_rest_next_time() {
    let callers: Vec<(SrtSocket, SrtSocket)> = (0..3).map(|_| pair(TransType::Live)).collect();
    let ep = Epoll::new().unwrap();
    for (c, _) in &callers {
        ep.add_usock(c, EpollEvents::OUT | EpollEvents::ET).unwrap();
    }
    let mut one = [EpollEvent::default(); 1];
    let mut seen = Vec::new();
    for _ in 0..3 {
        let evs = ep.uwait_into(&mut one, SHORT).unwrap();
        assert_eq!(evs.len(), 1);
        assert_eq!(evs[0].events(), EpollEvents::OUT);
        seen.push(evs[0].socket());
    }
    seen.sort();
    let mut want: Vec<_> = callers.iter().map(|(c, _)| c.id()).collect();
    want.sort();
    assert_eq!(seen, want, "each edge-triggered socket once");
    assert!(ep.uwait_into(&mut one, SHORT).unwrap().is_empty());
    let err = ep.uwait_into(&mut [], SHORT).unwrap_err();
    assert!(err.to_string().contains("event buffer is empty"), "{err}");
}
