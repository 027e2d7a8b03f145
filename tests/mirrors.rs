//! Every function of srt.h has a safe mirror or a documented reason, checked against the
//! functions of the headers srt-sys was built from; and the mirrors added for issue 12
//! (accept_bond, accept with a timeout, bind_acquire, connect_debug, getsndbuffer,
//! clock_type) proven on loopback.

use srtfu::*;
use std::net::{SocketAddr, UdpSocket};
use std::thread;
use std::time::{Duration, Instant};

#[test]
fn every_srt_function_has_a_mirror_or_a_reason() {
    let functions = sys::SRT_FUNCTIONS;
    // The list really was read from the bindings.
    assert!(
        functions.len() >= 70,
        "only {} functions: {functions:?}",
        functions.len()
    );
    for f in [
        "srt_startup",
        "srt_connect",
        "srt_epoll_uwait",
        "srt_getsndbuffer",
    ] {
        assert!(functions.contains(&f), "{f} missing from {functions:?}");
    }
    let missing: Vec<&str> = functions
        .iter()
        .copied()
        .filter(|f| mirror_of(f).is_none())
        .collect();
    assert!(
        missing.is_empty(),
        "libsrt {} declares functions srtfu::MIRRORS does not list (add a mirror or a reason): \
         {missing:?}",
        sys::SRT_VERSION_BUILT
    );
    // A name the table does not know is reported as missing: the check can fail.
    assert_eq!(mirror_of("srt_added_in_a_newer_libsrt"), None);
    // The table is sorted, has no duplicates, and every entry says something.
    for w in MIRRORS.windows(2) {
        assert!(
            w[0].0 < w[1].0,
            "MIRRORS not sorted at {} / {}",
            w[0].0,
            w[1].0
        );
    }
    for (name, m) in MIRRORS {
        assert!(name.starts_with("srt_"), "{name}");
        let (Mirror::Safe(t) | Mirror::Internal(t) | Mirror::Not(t)) = m;
        assert!(!t.trim().is_empty(), "{name}: empty mirror text");
    }
    // Entries the headers do not declare (functions of other libsrt versions) are listed for
    // the record; none is expected with the versions of the matrix.
    let extra: Vec<&str> = MIRRORS
        .iter()
        .map(|(n, _)| *n)
        .filter(|n| !functions.contains(n))
        .collect();
    assert!(
        extra.is_empty(),
        "MIRRORS lists functions these headers lack: {extra:?}"
    );
}

/// Names each path (relative to the crate root) and refers to it as a value, so the list
/// only compiles if every path exists; generic items get their type arguments in brackets.
macro_rules! existing_paths {
    ($( $($seg:ident)::+ $([$($g:ty),*])? ;)*) => {{
        let mut v: Vec<String> = Vec::new();
        $(
            let _ = srtfu::$($seg)::+ $(::<$($g),*>)?;
            v.push([$(stringify!($seg)),+].join("::"));
        )*
        v
    }};
}

type Cb = fn(&srtfu::IncomingCaller<'_>) -> Result<(), RejectReason>;
type ConnCb = fn(&srtfu::ConnectFailure);

/// Every `Mirror::Safe` path of the table names an item that exists (checked by the compiler
/// through `existing_paths!`), and the list below is exactly the table's.
#[test]
fn every_safe_mirror_path_exists() {
    let mut compiled = existing_paths! {
        SrtSocket::accept; SrtSocket::accept_bond; log::addlogfa; SrtSocket::bind[&str];
        SrtSocket::bind_acquire; SrtSocket::bistats; SrtSocket::bstats; cleanup; clock_type;
        SrtSocket::close; SrtSocket::connect[&str]; SrtSocket::connect_bind[&str, &str];
        SrtSocket::connect_callback[ConnCb]; SrtSocket::connect_debug[&str];
        SrtSocket::connection_time; SrtSocket::new_raw; log::dellogfa; Epoll::add_ssock;
        Epoll::add_usock; Epoll::clear_usocks; Epoll::create; Epoll::remove_ssock;
        Epoll::remove_usock; Epoll::set; Epoll::update_ssock; Epoll::update_usock;
        Epoll::uwait; Epoll::wait; SrtSocket::getpeername; SrtSocket::getrejectreason;
        SrtSocket::getsndbuffer; SrtSocket::getsockflag[i32, ReadWrite];
        SrtSocket::getsockname; SrtSocket::getsockstate; version; SrtSocket::listen;
        SrtSocket::listen_callback[Cb]; SrtSocket::recv; SrtSocket::recvfile;
        SrtSocket::recvmsg; SrtSocket::recvmsg2; SrtSocket::rendezvous[&str, &str];
        log::resetlogfa; SrtSocket::send; SrtSocket::sendfile; SrtSocket::sendmsg;
        SrtSocket::sendmsg2; log::setlogflags; log::set_level;
        SrtSocket::setsockflag[i32, ReadWrite, i32]; startup; time_now;
        SrtConfig::config_add[i32, ReadWrite, i32]; SrtGroup::connect_group;
        SrtConfig::create_config; SrtGroup::create_group; SrtGroup::group_data;
        SrtSocket::groupof; SrtGroup::prepare_endpoint;
    };
    let mut table: Vec<String> = MIRRORS
        .iter()
        .filter_map(|(_, m)| match m {
            Mirror::Safe(p) => Some(p.to_string()),
            _ => None,
        })
        .collect();
    compiled.sort();
    table.sort();
    assert_eq!(
        compiled, table,
        "MIRRORS' safe paths and the compiled list differ"
    );
}

/// A listener on 127.0.0.1:0.
fn listener() -> (SrtSocket, SocketAddr) {
    let l = SrtSocket::new_raw().unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(4).unwrap();
    let addr = l.getsockname().unwrap();
    (l, addr)
}

/// Connects a caller to `addr` in a thread; returns the join handle with the socket.
fn call(addr: SocketAddr) -> thread::JoinHandle<SrtSocket> {
    thread::spawn(move || {
        let c = SrtSocket::new_raw().unwrap();
        c.setsockflag(SRTO_CONNTIMEO, 3000).unwrap();
        c.connect(addr).unwrap();
        c
    })
}

/// Runs `accept` in a thread and, once it waits (100 ms), connects a caller to `addr`:
/// libsrt's srt_accept_bond sees only callers arriving during the call
/// (`accept_bond_does_not_see_a_caller_already_in_the_backlog`). Returns both.
fn call_while<T: Send>(addr: SocketAddr, accept: impl FnOnce() -> T + Send) -> (T, SrtSocket) {
    thread::scope(|scope| {
        let accepting = scope.spawn(accept);
        thread::sleep(Duration::from_millis(100));
        let c = call(addr).join().unwrap();
        (accepting.join().unwrap(), c)
    })
}

fn exchange(from: &SrtSocket, to: &SrtSocket, msg: &[u8]) {
    to.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    from.send(msg).unwrap();
    let mut buf = [0u8; 1500];
    let n = to.recv(&mut buf).unwrap();
    assert_eq!(&buf[..n], msg);
}

/// libsrt's srt_accept_bond subscribes the listeners to a new epoll of its own, and libsrt
/// raises a listener's accept event only when a caller arrives (`CUDT::addEPoll` reports
/// nothing for a backlog): a caller already waiting in the backlog is not seen until another
/// arrives, then srt_accept gives one of them. srtfu mirrors that; this checks it on the
/// libsrt loaded (1.5.1 to 1.5.5 all behave so).
#[test]
fn accept_bond_does_not_see_a_caller_already_in_the_backlog() {
    let (l, addr) = listener();
    let first = call(addr).join().unwrap();
    thread::sleep(Duration::from_millis(100)); // in the backlog
    let missed = SrtSocket::accept_bond(&[&l], Some(Duration::from_millis(300)));
    let missed_zero = l.accept_timeout(Duration::ZERO);
    if srtfu::version() <= (1, 5, 5) {
        let e = missed.expect_err("libsrt up to 1.5.5 does not see the backlog");
        assert_eq!(e.code(), Some(ErrorCode::Timeout), "{e}");
        let e = missed_zero.expect_err("nor with a zero timeout");
        assert_eq!(e.code(), Some(ErrorCode::Timeout), "{e}");
        // A second caller raises the event; libsrt then accepts from the backlog.
        let (r, second) = call_while(addr, || l.accept_timeout(Duration::from_secs(5)));
        // srt_accept then takes the first of libsrt's backlog, a map ordered by socket id
        // (ids count down: the newer caller), not by arrival; a plain srt_accept the other.
        let (s, peer) = r.expect("accept after a second caller");
        let (s2, peer2) = l.accept().unwrap();
        let callers = [first, second];
        for (s, peer) in [(s, peer), (s2, peer2)] {
            let c = callers
                .iter()
                .find(|c| c.getsockname().unwrap() == peer)
                .unwrap_or_else(|| panic!("accepted {peer}, no caller of ours"));
            exchange(c, &s, b"from the backlog");
        }
        assert_ne!(peer, peer2, "both callers accepted");
    } else {
        // A later libsrt may fix this: then the backlog is accepted at once.
        let (s, peer) = missed.or(missed_zero).expect("accept from the backlog");
        assert_eq!(peer, first.getsockname().unwrap());
        exchange(&first, &s, b"from the backlog");
    }
}

/// srt_accept_bond on plain listeners (no bonding needed): accepts from whichever listener
/// a caller reached, with the caller's address; with nobody calling it times out.
#[test]
fn accept_bond_takes_from_any_listener() {
    let (l1, a1) = listener();
    let (l2, a2) = listener();
    let t0 = Instant::now();
    let e = SrtSocket::accept_bond(&[&l1, &l2], Some(Duration::from_millis(200)))
        .expect_err("nobody called");
    assert!(e.is_timeout(), "{e}");
    assert_eq!(e.code(), Some(ErrorCode::Timeout), "{e}");
    let waited = t0.elapsed();
    assert!(
        waited >= Duration::from_millis(150) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    for addr in [a2, a1] {
        // The caller comes while accept_bond waits: srt_accept_bond does not see one already
        // in the backlog (the next test).
        let (r, c) = call_while(addr, || {
            SrtSocket::accept_bond(&[&l1, &l2], Some(Duration::from_secs(5)))
        });
        let (s, peer) = r.unwrap_or_else(|e| panic!("accept_bond for {addr}: {e}"));
        assert_eq!(peer, c.getsockname().unwrap(), "the caller's address");
        assert_eq!(
            s.getsockname().unwrap().port(),
            addr.port(),
            "accepted on {addr}"
        );
        exchange(&c, &s, b"through accept_bond");
    }
    // libsrt's answer to an empty list.
    let e = SrtSocket::accept_bond(&[], Some(Duration::from_millis(100))).unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::PollEmpty), "{e}");
    // A closed listener (or one that does not listen) would be skipped by libsrt, which then
    // waits out the timeout; srtfu says so at once.
    let (gone, _) = listener();
    gone.close_ref().unwrap();
    let not_listening = SrtSocket::new_raw().unwrap();
    for bad in [&gone, &not_listening] {
        let t0 = Instant::now();
        let e = SrtSocket::accept_bond(&[&l1, bad], None).unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::NoListen), "{e}");
        assert!(e.to_string().contains(&format!("@{}", bad.id())), "{e}");
        assert!(t0.elapsed() < Duration::from_secs(1), "{:?}", t0.elapsed());
    }
}

/// accept_timeout: a timeout error when no caller comes, the connection when one does; the
/// listener's own SRTO_RCVTIMEO is left alone.
#[test]
fn accept_with_a_timeout() {
    let (l, addr) = listener();
    let before: i32 = l.getsockflag(SRTO_RCVTIMEO).unwrap();
    let t0 = Instant::now();
    let e = l.accept_timeout(Duration::from_millis(300)).unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert!(
        t0.elapsed() >= Duration::from_millis(250),
        "{:?}",
        t0.elapsed()
    );
    let e = l.accept_timeout(Duration::ZERO).unwrap_err();
    assert!(e.is_timeout(), "zero: nothing pending: {e}");
    // The caller comes while the call waits (one already in the backlog is not seen:
    // accept_bond_does_not_see_a_caller_already_in_the_backlog).
    let (r, c) = call_while(addr, || l.accept_timeout(Duration::from_secs(5)));
    let (s, _) = r.unwrap();
    exchange(&c, &s, b"accepted in time");
    assert_eq!(l.getsockflag(SRTO_RCVTIMEO).unwrap(), before);
}

/// srt_bind_acquire: an SRT listener on a std UdpSocket listens on that socket's address,
/// and a caller connects to it.
#[test]
fn bind_acquire_uses_an_existing_udp_socket() {
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    let udp_addr = udp.local_addr().unwrap();
    let l = SrtSocket::new_raw().unwrap();
    l.bind_acquire(udp).unwrap();
    assert_eq!(l.getsockname().unwrap(), udp_addr);
    l.listen(2).unwrap();
    let caller = call(udp_addr);
    let (s, _) = l.accept_timeout(Duration::from_secs(5)).unwrap();
    let c = caller.join().unwrap();
    exchange(&c, &s, b"over the acquired socket");
    // A second bind is refused by libsrt (the socket is no longer in its initial state).
    let again = UdpSocket::bind("127.0.0.1:0").unwrap();
    let e = l.bind_acquire(again).unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::InvalidOperation), "{e}");
}

/// srt_connect_debug: the caller's initial sequence number is the forced one.
#[test]
fn connect_debug_forces_the_initial_sequence_number() {
    let (l, addr) = listener();
    let isn = 123_456;
    let t = thread::spawn(move || l.accept().map(|(s, _)| s));
    let c = SrtSocket::new_raw().unwrap();
    c.setsockflag(SRTO_CONNTIMEO, 3000).unwrap();
    c.connect_debug(addr, isn).unwrap();
    let s = t.join().unwrap().unwrap();
    assert_eq!(c.getsockflag(SRTO_ISN).unwrap(), isn);
    assert_eq!(s.getsockflag(SRTO_ISN).unwrap(), isn, "the peer took it");
    exchange(&c, &s, b"after a forced isn");
}

/// srt_getsndbuffer: messages sent wait in the buffer until acknowledged, then it empties.
#[test]
fn getsndbuffer_counts_unacknowledged_packets() {
    let (l, addr) = listener();
    let caller = call(addr);
    let (s, _) = l.accept().unwrap();
    let c = caller.join().unwrap();
    assert_eq!(c.getsndbuffer().unwrap(), (0, 0), "nothing sent yet");
    let msg = [7u8; 1000];
    let mut seen = (0, 0);
    for _ in 0..20 {
        for _ in 0..20 {
            c.send(&msg).unwrap();
        }
        seen = c.getsndbuffer().unwrap();
        if seen.0 > 0 {
            break;
        }
    }
    assert!(seen.0 > 0 && seen.1 >= seen.0 * 1000, "{seen:?}");
    // Once the receiver acknowledged everything, the buffer is empty.
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut buf = [0u8; 1500];
    s.set_read_timeout(Some(Duration::from_millis(50))).unwrap();
    while c.getsndbuffer().unwrap() != (0, 0) {
        assert!(Instant::now() < deadline, "{:?}", c.getsndbuffer());
        let _ = s.recv(&mut buf);
    }
    let closed = SrtSocket::new_raw().unwrap();
    let id = closed.id();
    drop(closed);
    // SAFETY: the id is closed; wrapping it only lets srtfu call libsrt with it, which
    // answers SRT_EINVSOCK; into_raw keeps it from being closed twice.
    let stale = unsafe { SrtSocket::from_raw(id) };
    assert!(stale.getsndbuffer().is_err());
    let _ = stale.into_raw();
}

/// srt_clock_type: one of libsrt's clocks, and the same on every call; srt_time_now on that
/// clock does not go backwards.
#[test]
fn clock_type_is_a_known_clock() {
    let c = clock_type();
    assert!(!matches!(c, ClockType::Other(_)), "{c:?}");
    assert_eq!(clock_type(), c);
    let (a, b) = (time_now(), time_now());
    assert!(b >= a);
}
