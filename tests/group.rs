//! Socket groups (connection bonding) against the libsrt the suite runs with.
//!
//! Every test checks what that libsrt really does, through `srtfu::has_bonding()`: Debian's
//! 1.5.1 is built without bonding, so there each group call must fail with the one
//! `Error::NoBonding` naming the fix; the source builds (1.5.3, 1.5.4, 1.5.5) have bonding,
//! so there the feature must work, over loopback through one impairment proxy per path.

mod support;

use std::net::SocketAddr;
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use srtfu::{
    has_bonding, Accepted, Epoll, EpollEvents, Error, GroupType, GroupUrl, MemberStatus,
    SockStatus, SrtConfig, SrtGroup, SrtSocket, SRTO_GROUPCONNECT, SRTO_GROUPMINSTABLETIMEO,
    SRTO_LATENCY, SRTO_PEERIDLETIMEO, SRTO_RCVBUF,
};
use support::proxy::{Impair, Proxy};

/// Whether the libsrt running should have bonding: Debian's 1.5.1 (the system library here)
/// is built without it; every other version in the matrix is a source build with it.
fn bonding_expected() -> bool {
    srtfu::version() != (1, 5, 1)
}

/// The error must be the one NoBonding error, naming the call and the way out.
fn assert_no_bonding<T: std::fmt::Debug>(r: srtfu::Result<T>, call: &str) {
    let e = r.expect_err("a group call must fail on a libsrt without bonding");
    let text = e.to_string();
    assert!(
        matches!(e, Error::NoBonding { .. }),
        "{call}: expected Error::NoBonding, got {e:?}"
    );
    for needle in [
        call,
        "built without connection bonding",
        "./install-libsrt.sh --source",
        "libsrt versions",
    ] {
        assert!(text.contains(needle), "{call}: {text:?} lacks {needle:?}");
    }
    assert_eq!(
        std::io::Error::from(e).kind(),
        std::io::ErrorKind::Unsupported
    );
}

#[test]
fn has_bonding_tells_the_libsrt_build() {
    let v = srtfu::version();
    assert_eq!(
        has_bonding(),
        bonding_expected(),
        "libsrt {v:?}: bonding expected only in the source builds"
    );
    eprintln!("libsrt {v:?}: has_bonding() = {}", has_bonding());
}

#[test]
fn every_group_call_works_with_bonding_or_fails_with_one_error() {
    let target: SocketAddr = "127.0.0.1:4200".parse().unwrap();
    let plain = SrtSocket::new_raw().unwrap();
    if !has_bonding() {
        assert_no_bonding(
            SrtGroup::create_group(GroupType::Broadcast),
            "srt_create_group",
        );
        assert_no_bonding(
            SrtGroup::create_group(GroupType::Backup),
            "srt_create_group",
        );
        assert_no_bonding(SrtConfig::create_config(), "srt_create_config");
        assert_no_bonding(
            SrtGroup::prepare_endpoint(None, target),
            "srt_prepare_endpoint",
        );
        assert_no_bonding(plain.set_groupconnect(true), "SRTO_GROUPCONNECT");
        assert_no_bonding(plain.setsockflag(SRTO_GROUPCONNECT, 1), "SRTO_GROUPCONNECT");
        assert_no_bonding(
            plain.setsockflag(SRTO_GROUPMINSTABLETIMEO, 100),
            "SRTO_GROUPMINSTABLETIMEO",
        );
        assert_no_bonding(plain.groupof(), "srt_groupof");
        assert_no_bonding(
            SrtSocket::new("srt://:4200?groupconnect=1"),
            "SRTO_GROUPCONNECT",
        );
        // The URL parses (it is only text); opening it is a group call.
        let url: GroupUrl = "srt:////group?type=broadcast&nodes=127.0.0.1:4200,127.0.0.1:4201"
            .parse()
            .unwrap();
        assert_no_bonding(SrtGroup::from_url(&url), "srt_create_group");
        assert_no_bonding(
            SrtGroup::open("srt:////group?type=backup&nodes=127.0.0.1:4200"),
            "srt_create_group",
        );
        return;
    }
    for t in [GroupType::Broadcast, GroupType::Backup] {
        let g = SrtGroup::create_group(t).unwrap();
        assert!(
            srtfu::is_group_id(g.id()),
            "{t}: id {} lacks SRTGROUP_MASK",
            g.id()
        );
        assert!(
            g.group_data().unwrap().is_empty(),
            "{t}: a new group has no members"
        );
        g.setsockflag(SRTO_LATENCY, 250).unwrap();
        assert_eq!(
            g.getsockflag(SRTO_LATENCY).unwrap(),
            250,
            "{t}: group option"
        );
        g.close().unwrap();
    }
    let mut cfg = SrtConfig::create_config().unwrap();
    cfg.config_add(SRTO_RCVBUF, 4 << 20).unwrap();
    let e = cfg
        .config_add(SRTO_LATENCY, 100)
        .expect_err("latency is a group-wide option, not a per-member one");
    assert!(e.to_string().contains("SRTO_LATENCY"), "{e}");
    assert_eq!(e.code(), Some(srtfu::ErrorCode::InvalidParam), "{e}");
    let ep = SrtGroup::prepare_endpoint(None, target)
        .unwrap()
        .weight(3)
        .config(cfg);
    assert_eq!(ep.target(), target);
    assert_eq!(ep.id(), None, "no member socket before connect_group");
    let v6: SocketAddr = "[::1]:4200".parse().unwrap();
    let e = SrtGroup::prepare_endpoint(Some("127.0.0.1:0".parse().unwrap()), v6).unwrap_err();
    assert!(e.to_string().contains("different address families"), "{e}");
    plain.set_groupconnect(true).unwrap();
    assert_eq!(plain.getsockflag(SRTO_GROUPCONNECT).unwrap(), 1);
    assert_eq!(
        plain.groupof().unwrap(),
        None,
        "a plain socket is in no group"
    );
    assert!(!plain.is_group());
    let l = SrtSocket::new("srt://:0?groupconnect=1").unwrap();
    assert_eq!(l.getsockflag(SRTO_GROUPCONNECT).unwrap(), 1);
}

// ----- helpers for the bonding tests ---------------------------------------------------------

const PAYLOAD: usize = 1316;

/// A payload carrying its sequence number, the rest a pattern derived from it.
fn payload(seq: u32) -> Vec<u8> {
    let mut p = vec![(seq % 251) as u8; PAYLOAD];
    p[..4].copy_from_slice(&seq.to_be_bytes());
    p
}

/// The sequence number of a received payload, checking the whole payload.
fn seq_of(buf: &[u8]) -> u32 {
    assert_eq!(buf.len(), PAYLOAD, "payload length");
    let seq = u32::from_be_bytes(buf[..4].try_into().unwrap());
    assert!(
        buf[4..].iter().all(|&b| b == (seq % 251) as u8),
        "payload {seq} corrupted"
    );
    seq
}

/// A listener on 127.0.0.1:0 that accepts groups.
fn group_listener(latency: i32) -> (SrtSocket, SocketAddr) {
    let l = SrtSocket::new_raw().unwrap();
    l.set_groupconnect(true).unwrap();
    l.setsockflag(SRTO_LATENCY, latency).unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(8).unwrap();
    let addr = l.getsockname().unwrap();
    (l, addr)
}

/// What the receiving side saw: each payload's sequence number and when it arrived, and why
/// the receive loop ended.
struct Received {
    seqs: Vec<(u32, Instant)>,
    end: String,
}

/// Accepts one group on `l` and receives until `count` payloads, a receive error, or `limit`.
fn receive_group(l: SrtSocket, count: u32, limit: Duration) -> thread::JoinHandle<Received> {
    receive_accepted(l, count, limit, true)
}

/// As [`receive_group`], for a group (`group` true) or a single socket.
fn receive_accepted(
    l: SrtSocket,
    count: u32,
    limit: Duration,
    group: bool,
) -> thread::JoinHandle<Received> {
    thread::spawn(move || {
        let (acc, peer) = l.accept_group().expect("accept");
        let t = Some(Duration::from_millis(500));
        type Recv = Box<dyn Fn(&mut [u8]) -> srtfu::Result<usize>>;
        let recv: Recv = match (acc, group) {
            (Accepted::Group(g), true) => {
                g.set_read_timeout(t).unwrap();
                Box::new(move |b: &mut [u8]| g.recvmsg(b))
            }
            (Accepted::Socket(s), false) => {
                s.set_read_timeout(t).unwrap();
                Box::new(move |b: &mut [u8]| s.recvmsg(b))
            }
            (acc, _) => panic!("accepted {acc:?} from {peer}; a group expected: {group}"),
        };
        let deadline = Instant::now() + limit;
        let mut seqs = Vec::new();
        let mut buf = [0u8; 1500];
        let end = loop {
            if seqs.len() as u32 >= count {
                break "all received".to_string();
            }
            if Instant::now() > deadline {
                break format!("time limit {limit:?}");
            }
            match recv(&mut buf) {
                Ok(n) => seqs.push((seq_of(&buf[..n]), Instant::now())),
                Err(e) if e.is_timeout() => continue,
                Err(e) => break format!("receive error: {e}"),
            }
        };
        drop(l);
        Received { seqs, end }
    })
}

/// Waits (bounded) until `ok(members)` holds for the group's members.
fn wait_members(
    g: &SrtGroup,
    what: &str,
    limit: Duration,
    ok: impl Fn(&[srtfu::GroupMember]) -> bool,
) -> Vec<srtfu::GroupMember> {
    let end = Instant::now() + limit;
    loop {
        let m = g.group_data().expect("group_data");
        if ok(&m) {
            return m;
        }
        assert!(
            Instant::now() < end,
            "{what}: not reached in {limit:?}: {m:?}"
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn connected(m: &srtfu::GroupMember) -> bool {
    m.sockstate == SockStatus::Connected
}

/// A group of `gtype` connected through `proxies` (weights in the same order), waiting until
/// every member is connected.
fn group_through(
    gtype: GroupType,
    proxies: &[&Proxy],
    weights: &[u16],
    set: impl Fn(&SrtGroup),
) -> SrtGroup {
    let g = SrtGroup::create_group(gtype).unwrap();
    set(&g);
    let mut eps: Vec<_> = proxies
        .iter()
        .zip(weights)
        .map(|(p, w)| {
            SrtGroup::prepare_endpoint(None, p.addr())
                .unwrap()
                .weight(*w)
        })
        .collect();
    g.connect_group(&mut eps).expect("connect_group");
    for e in &eps {
        assert_eq!(e.error(), 0, "member {:?}", e);
        assert!(e.id().is_some(), "member {e:?} has no id");
    }
    let n = proxies.len();
    wait_members(&g, "all members connected", Duration::from_secs(5), |m| {
        m.len() == n && m.iter().all(connected)
    });
    g
}

/// Sends `count` payloads, one every `interval`, calling `at(i)` before payload i.
fn stream(g: &SrtGroup, count: u32, interval: Duration, mut at: impl FnMut(u32)) {
    let start = Instant::now();
    for i in 0..count {
        at(i);
        let due = start + interval * i;
        if let Some(d) = due.checked_duration_since(Instant::now()) {
            thread::sleep(d);
        }
        g.sendmsg2(&payload(i), None).expect("group send");
    }
}

/// The largest gap between consecutive arrivals, and the payloads missing from 0..count.
fn gaps(r: &Received, count: u32) -> (Duration, Vec<u32>) {
    let max_gap = r
        .seqs
        .windows(2)
        .map(|w| w[1].1 - w[0].1)
        .max()
        .unwrap_or_default();
    let got: std::collections::BTreeSet<u32> = r.seqs.iter().map(|s| s.0).collect();
    let missing = (0..count).filter(|s| !got.contains(s)).collect();
    (max_gap, missing)
}

// ----- bonding over loopback -------------------------------------------------------------------

#[test]
fn broadcast_one_path_blacked_out_2s_delivers_every_payload_once_in_order() {
    if !has_bonding() {
        assert_no_bonding(
            SrtGroup::create_group(GroupType::Broadcast),
            "srt_create_group",
        );
        return;
    }
    let (l, addr) = group_listener(120);
    let p1 = Proxy::start(addr, Impair::default(), Impair::default());
    let p2 = Proxy::start(addr, Impair::default(), Impair::default());
    const N: u32 = 3000; // 6 s at 500 payloads/s
    let rx = receive_group(l, N, Duration::from_secs(20));
    let g = group_through(GroupType::Broadcast, &[&p1, &p2], &[0, 0], |_| {});
    stream(&g, N, Duration::from_millis(2), |i| {
        if i == 1000 {
            p1.blackout(true);
        }
        if i == 2000 {
            p1.blackout(false);
        }
    });
    let stats = g.bstats(false).unwrap();
    let istats = g.bistats(false, true).unwrap();
    let r = rx.join().expect("receiver");
    let members = g.group_data().unwrap();
    eprintln!(
        "path 1: {}\npath 2: {}\nmembers after: {members:?}",
        p1.report(),
        p2.report()
    );
    // The group's own statistics count each payload once, whatever the member count (read
    // right after the last send: the receiver still holds it back for the 120 ms latency,
    // so the members are still connected).
    assert_eq!(stats.pkt_sent_unique_total, N as i64, "{stats:?}");
    assert_eq!(istats.pkt_sent_unique_total, N as i64, "{istats:?}");
    let (max_gap, missing) = gaps(&r, N);
    eprintln!(
        "broadcast, one path blacked out 2 s: {} of {N} payloads, largest gap {max_gap:?}, end: {}",
        r.seqs.len(),
        r.end
    );
    assert!(
        missing.is_empty(),
        "missing payloads {missing:?} ({})",
        r.end
    );
    let order: Vec<u32> = r.seqs.iter().map(|s| s.0).collect();
    assert_eq!(
        order,
        (0..N).collect::<Vec<_>>(),
        "every payload once, in order"
    );
    let dropped = p1
        .counters()
        .0
        .blackout_dropped
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        dropped > 500,
        "the blackout dropped only {dropped} packets of path 1"
    );
    // The blackout lasts 2 s; a gap well under it shows the other path carried the stream
    // (measured: 42-190 ms, the upper end with the suite's other tests running alongside).
    assert!(
        max_gap < Duration::from_millis(1000),
        "the other path carried the stream: largest gap {max_gap:?}"
    );
}

#[test]
fn backup_main_path_killed_stream_goes_on_over_backup() {
    if !has_bonding() {
        assert_no_bonding(
            SrtGroup::create_group(GroupType::Backup),
            "srt_create_group",
        );
        return;
    }
    let (l, addr) = group_listener(120);
    let main = Proxy::start(addr, Impair::default(), Impair::default());
    let backup = Proxy::start(addr, Impair::default(), Impair::default());
    const N: u32 = 2500; // 5 s at 500 payloads/s
    let rx = receive_group(l, N, Duration::from_secs(20));
    // The main path has the higher weight: a backup group activates the heaviest member.
    let g = group_through(GroupType::Backup, &[&main, &backup], &[10, 1], |g| {
        g.setsockflag(SRTO_PEERIDLETIMEO, 1000).unwrap();
    });
    let stab = g.getsockflag(SRTO_GROUPMINSTABLETIMEO).unwrap();
    let mut before = Vec::new();
    let mut killed_at = None;
    stream(&g, N, Duration::from_millis(2), |i| {
        if i == 500 {
            before = g.group_data().unwrap();
            main.blackout(true); // the main path dies for good
            killed_at = Some((i, Instant::now()));
        }
    });
    let after = g.group_data().unwrap();
    let r = rx.join().expect("receiver");
    eprintln!("main: {}\nbackup: {}", main.report(), backup.report());
    eprintln!("members before the kill: {before:?}\nmembers after: {after:?}");
    let (max_gap, missing) = gaps(&r, N);
    eprintln!(
        "backup group, main killed at payload 500 (SRTO_GROUPMINSTABLETIMEO {stab} ms, latency \
         120 ms, peer idle 1000 ms): {} of {N} payloads, {} missing {:?}, largest gap {max_gap:?}, end: {}",
        r.seqs.len(),
        missing.len(),
        missing.first().zip(missing.last()),
        r.end
    );
    // Before the kill the main member carried the data and the backup stood by.
    let main_id = before
        .iter()
        .find(|m| m.weight == 10)
        .expect("main member listed")
        .id;
    let by_weight =
        |ms: &[srtfu::GroupMember], w| ms.iter().find(|m| m.weight == w).map(|m| m.status);
    assert_eq!(
        by_weight(&before, 10),
        Some(MemberStatus::Running),
        "{before:?}"
    );
    assert_eq!(
        by_weight(&before, 1),
        Some(MemberStatus::Idle),
        "{before:?}"
    );
    // After: the backup carries the stream; the main member broke and left the group.
    assert_eq!(
        by_weight(&after, 1),
        Some(MemberStatus::Running),
        "{after:?}"
    );
    assert!(
        after
            .iter()
            .all(|m| m.id != main_id || m.status == MemberStatus::Broken),
        "{after:?}"
    );
    // The stream went on: the last 1500 payloads (3 s after the kill) all arrived.
    assert!(
        missing.iter().all(|&s| s < 1000),
        "payloads lost long after the switch: {missing:?}"
    );
    let (_, t_kill) = killed_at.unwrap();
    let first_after = r.seqs.iter().find(|(s, t)| *s > 500 && *t > t_kill);
    assert!(first_after.is_some(), "nothing arrived after the kill");
    assert!(
        missing.len() < 500,
        "the switch-over lost {} payloads (1 s of stream)",
        missing.len()
    );
}

#[test]
fn member_breaking_shows_in_group_data_and_epoll_update() {
    if !has_bonding() {
        assert_no_bonding(
            SrtGroup::create_group(GroupType::Broadcast),
            "srt_create_group",
        );
        return;
    }
    let (l, addr) = group_listener(120);
    let p1 = Proxy::start(addr, Impair::default(), Impair::default());
    let p2 = Proxy::start(addr, Impair::default(), Impair::default());
    let lep = Epoll::create().unwrap();
    let mut lbuf = srtfu::EpollBuffers::new();
    lep.add_usock(&l, EpollEvents::IN | EpollEvents::UPDATE | EpollEvents::ERR)
        .unwrap();
    let (tx, rxd) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel::<()>();
    let listener_side = thread::spawn(move || {
        let lep = lep;
        // The first member makes the group acceptable (IN); the second joins the group
        // already accepted, which libsrt reports on the listener as UPDATE.
        let mut seen = EpollEvents::empty();
        let end = Instant::now() + Duration::from_secs(10);
        let mut group = None;
        while Instant::now() < end && !(seen.contains(EpollEvents::UPDATE) && group.is_some()) {
            let evs: Vec<_> = match lep.uwait(&mut lbuf, Some(Duration::from_millis(200))) {
                Ok(evs) => evs.iter().map(|e| e.events()).collect(),
                Err(e) if e.is_timeout() => continue,
                Err(e) => panic!("listener uwait: {e}"),
            };
            for ev in evs {
                seen |= ev;
                if ev.contains(EpollEvents::IN) && group.is_none() {
                    let (acc, _) = l.accept_group().expect("accept");
                    group = Some(acc);
                }
            }
        }
        tx.send(seen).unwrap();
        // Keep the accepted group (and read it) until the caller side is done.
        if let Some(acc) = &group {
            acc.as_socket()
                .set_read_timeout(Some(Duration::from_millis(100)))
                .unwrap();
        }
        let mut buf = [0u8; 1500];
        while done_rx.try_recv().is_err() {
            if let Some(acc) = &group {
                let _ = acc.as_socket().recvmsg(&mut buf);
            } else {
                thread::sleep(Duration::from_millis(100));
            }
        }
        drop(group);
    });
    let g = group_through(GroupType::Broadcast, &[&p1, &p2], &[0, 0], |g| {
        g.setsockflag(SRTO_PEERIDLETIMEO, 1000).unwrap();
    });
    let seen = rxd
        .recv_timeout(Duration::from_secs(12))
        .expect("listener side");
    assert!(
        seen.contains(EpollEvents::UPDATE),
        "listener epoll saw {seen:?}, no UPDATE for the second member"
    );
    let ep = Epoll::create().unwrap();
    let mut buf = srtfu::EpollBuffers::new();
    g.epoll_add_usock(&ep, EpollEvents::UPDATE | EpollEvents::ERR)
        .unwrap();
    g.sendmsg2(&payload(0), None).unwrap();
    let before = g.group_data().unwrap();
    assert_eq!(before.len(), 2, "{before:?}");
    p1.blackout(true);
    // Keep sending so the dead member's loss is noticed; wait (bounded) for UPDATE on the
    // group. libsrt breaks a silent member after its peer-idle timeout, but no sooner than
    // its 16th expiry of the response timer (300 ms steps): about 5 s, whatever a lower
    // SRTO_PEERIDLETIMEO says.
    let t0 = Instant::now();
    let mut update = None;
    let mut i = 1u32;
    while t0.elapsed() < Duration::from_secs(15) && update.is_none() {
        g.sendmsg2(&payload(i), None).unwrap();
        i += 1;
        match ep.uwait(&mut buf, Some(Duration::from_millis(5))) {
            Ok(evs) => {
                if let Some(e) = evs.iter().find(|e| e.socket() == g.id()) {
                    update = Some((e.events(), t0.elapsed()));
                }
            }
            Err(e) if e.is_timeout() => {}
            Err(e) => panic!("uwait: {e}"),
        }
    }
    let (events, after) = update.expect("no epoll event on the group within 15 s");
    let members = g.group_data().unwrap();
    done_tx.send(()).unwrap();
    eprintln!(
        "before {before:?}\nevent {events:?} {after:?} after the blackout (SRTO_PEERIDLETIMEO \
         {} ms)\nafter {members:?}",
        g.getsockflag(SRTO_PEERIDLETIMEO).unwrap()
    );
    assert!(events.contains(EpollEvents::UPDATE), "{events:?}");
    assert!(
        !events.contains(EpollEvents::ERR),
        "a member is left: {events:?}"
    );
    assert_eq!(
        members.len(),
        1,
        "the broken member left the group: {members:?}"
    );
    let p2_port = p2.addr().port();
    assert_eq!(
        members[0].peer.map(|a| a.port()),
        Some(p2_port),
        "{members:?}"
    );
    assert!(connected(&members[0]), "{members:?}");
    assert!(
        after >= Duration::from_millis(900),
        "broke before SRTO_PEERIDLETIMEO: {after:?}"
    );
    listener_side.join().unwrap();
}

#[test]
fn group_caller_to_listener_without_groupconnect_is_rejected() {
    if !has_bonding() {
        assert_no_bonding(
            SrtGroup::create_group(GroupType::Broadcast),
            "srt_create_group",
        );
        return;
    }
    let l = SrtSocket::new_raw().unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(4).unwrap();
    let addr = l.getsockname().unwrap();
    let g = SrtGroup::create_group(GroupType::Broadcast).unwrap();
    let mut eps = [SrtGroup::prepare_endpoint(None, addr).unwrap()];
    let t0 = Instant::now();
    let e = g
        .connect_group(&mut eps)
        .expect_err("a listener without SRTO_GROUPCONNECT must refuse a group");
    let elapsed = t0.elapsed();
    eprintln!(
        "libsrt {:?}: rejected after {elapsed:?}: {e}; member error {}",
        srtfu::version(),
        eps[0].error()
    );
    assert!(
        elapsed < Duration::from_secs(2),
        "a rejection, not a timeout"
    );
    // libsrt 1.5.5 (the listener logs "HS/GROUP: this socket is not allowed for group
    // connect" and answers SRT_REJ_GROUP) gives the group caller SRT_ECONNLOST and no reason
    // on the group or on its member; srtfu says what that means.
    assert_eq!(e.code(), Some(srtfu::ErrorCode::ConnLost), "{e}");
    match e.reject_reason() {
        None => assert!(e.to_string().contains("without SRTO_GROUPCONNECT"), "{e}"),
        Some(r) => assert_eq!(r, srtfu::RejectReason::Group, "{e}"),
    }
    if srtfu::version() == (1, 5, 5) {
        assert_eq!(e.reject_reason(), None, "1.5.5 reports no reason: {e}");
    }
    drop(g);
    drop(l);
}

#[test]
fn group_url_opens_a_group_that_a_groupconnect_url_listener_accepts() {
    let url = "srt:////group?type=backup&nodes=127.0.0.1:4200?weight=5,[::1]:4201?source=[::1]:0&latency=300";
    let parsed: GroupUrl = url.parse().unwrap();
    assert_eq!(parsed.group_type(), GroupType::Backup);
    assert_eq!(parsed.nodes().len(), 2);
    assert_eq!(parsed.nodes()[0].weight, 5);
    assert_eq!(parsed.nodes()[1].host, "::1");
    assert_eq!(parsed.nodes()[1].source.as_deref(), Some("[::1]:0"));
    assert_eq!(parsed.options().option("latency").as_deref(), Some("300"));
    let simple = GroupUrl::with_nodes(
        "srt://*?type=backup&latency=300",
        &["127.0.0.1:4200?weight=5", "[::1]:4201?source=[::1]:0"],
    )
    .unwrap();
    assert_eq!(simple.nodes(), parsed.nodes());
    for (bad, needle) in [
        (
            "srt:////group?nodes=127.0.0.1:4200",
            "group type is missing",
        ),
        ("srt:////group?type=broadcast", "no members"),
        (
            "srt:////group?type=mesh&nodes=127.0.0.1:4200",
            "broadcast or backup",
        ),
        ("srt:////group?type=backup&nodes=127.0.0.1", "host:port"),
        (
            "srt:////group?type=backup&nodes=127.0.0.1:4200?weight=x",
            "weight",
        ),
        (
            "srt:////group?type=backup&nodes=127.0.0.1:4200?color=red",
            "color",
        ),
        (
            "srt:////group?type=backup&nodes=127.0.0.1:4200&latncy=3",
            "latncy",
        ),
        (
            "srt:////group?type=backup&nodes=127.0.0.1:4200&mode=listener",
            "groupconnect",
        ),
    ] {
        let e = bad.parse::<GroupUrl>().expect_err(bad);
        assert!(e.to_string().contains(needle), "{bad}: {e}");
    }
    if !has_bonding() {
        assert_no_bonding(SrtGroup::open(url), "srt_create_group");
        return;
    }
    let l = SrtSocket::new("srt://:0?groupconnect=1&latency=300").unwrap();
    l.bind("127.0.0.1:0").unwrap();
    l.listen(4).unwrap();
    let port = l.getsockname().unwrap().port();
    let rx = receive_group(l, 50, Duration::from_secs(10));
    let g = SrtGroup::open(&format!(
        "srt:////group?type=broadcast&nodes=127.0.0.1:{port},127.0.0.1:{port}&latency=300"
    ))
    .unwrap();
    assert_eq!(g.getsockflag(SRTO_LATENCY).unwrap(), 300);
    // Both members join, or (seen once in a loaded fresh-clone CI run, as in the repeated
    // runs below, which allow 2 of 50) libsrt drops one that failed to connect: the group
    // must then still carry the stream over the other.
    let m = wait_members(
        &g,
        "both members, or one with the other dropped",
        Duration::from_secs(10),
        |m| (m.len() == 2 && m.iter().all(connected)) || (m.len() == 1 && m.iter().all(connected)),
    );
    if m.len() == 1 {
        eprintln!("one member of two did not connect (libsrt dropped it): {m:?}");
    }
    stream(&g, 50, Duration::from_millis(5), |_| {});
    let r = rx.join().unwrap();
    let order: Vec<u32> = r.seqs.iter().map(|s| s.0).collect();
    assert_eq!(order, (0..50).collect::<Vec<_>>(), "{}", r.end);
}

/// Issue 13, item 6: a C probe on 1.5.5 saw a two-member broadcast group to one listener
/// stall on the receiving side in 12 of 150 runs (after 1 to 12 of 100 messages). This runs
/// that case 50 times (`SRTFU_GROUP_RUNS` overrides) and reports every run that stalls.
#[test]
fn broadcast_two_members_to_one_listener_repeated_runs() {
    repeated_runs(true);
}

/// As above, sending as soon as `srt_connect_group` returns (one member connected, the
/// other joining mid-stream), as the C probe and libsrt's example do.
#[test]
fn broadcast_two_members_to_one_listener_sending_at_once_repeated_runs() {
    repeated_runs(false);
}

fn repeated_runs(wait_for_both: bool) {
    if !has_bonding() {
        assert_no_bonding(
            SrtGroup::create_group(GroupType::Broadcast),
            "srt_create_group",
        );
        return;
    }
    let runs: u32 = std::env::var("SRTFU_GROUP_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    const MSGS: u32 = 100;
    // Every run that does not deliver all 100 in order, with what went wrong.
    let mut failed: Vec<(u32, String)> = Vec::new();
    // Runs whose second member never connected (its handshake failed, and libsrt removed it
    // from the group; seen once in 50 on a loaded machine): not the receive stall this test
    // looks for, so counted apart and bounded.
    let mut setup_failed: Vec<(u32, String)> = Vec::new();
    let t0 = Instant::now();
    for run in 0..runs {
        let (l, addr) = group_listener(120);
        // A run that fails before its group connects leaves this receiver blocked in
        // srt_accept (which ignores SRTO_RCVTIMEO); the thread ends with the process.
        let rx = receive_group(l, MSGS, Duration::from_secs(5));
        let g = SrtGroup::create_group(GroupType::Broadcast).unwrap();
        let mut eps = [
            SrtGroup::prepare_endpoint(None, addr).unwrap(),
            SrtGroup::prepare_endpoint(None, addr).unwrap(),
        ];
        if let Err(e) = g.connect_group(&mut eps) {
            failed.push((run, format!("connect_group: {e}")));
            continue;
        }
        if wait_for_both {
            let end = Instant::now() + Duration::from_secs(5);
            let mut m = g.group_data().unwrap_or_default();
            while !(m.len() == 2 && m.iter().all(connected)) && Instant::now() < end {
                thread::sleep(Duration::from_millis(20));
                m = g.group_data().unwrap_or_default();
            }
            if !(m.len() == 2 && m.iter().all(connected)) {
                setup_failed.push((run, format!("both members not connected in 5 s: {m:?}")));
                continue;
            }
        }
        let start = Instant::now();
        let mut send_error = None;
        for i in 0..MSGS {
            if let Some(d) =
                (start + Duration::from_millis(1) * i).checked_duration_since(Instant::now())
            {
                thread::sleep(d);
            }
            if let Err(e) = g.sendmsg2(&payload(i), None) {
                send_error = Some(format!("send #{i}: {e}; members {:?}", g.group_data()));
                break;
            }
        }
        if let Some(e) = send_error {
            // The very first send right after srt_connect_group returned, failing with
            // SRT_ECONNLOST while a member is Idle and the other Pending (libsrt 1.5.5, seen
            // once in 50 runs in a loaded CI run): libsrt's start of a group, not the receive
            // stall this test looks for; counted apart and bounded like a lost member.
            if !wait_for_both && e.starts_with("send #0:") && e.contains("SRT_ECONNLOST") {
                setup_failed.push((run, e));
            } else {
                failed.push((run, e));
            }
            continue;
        }
        let r = rx.join().expect("receiver");
        let order: Vec<u32> = r.seqs.iter().map(|s| s.0).collect();
        if order != (0..MSGS).collect::<Vec<_>>() {
            let members = g.group_data().unwrap_or_default();
            failed.push((
                run,
                format!(
                    "received {} of {MSGS} ({}); sender members {members:?}",
                    order.len(),
                    r.end
                ),
            ));
        }
    }
    for (run, why) in failed.iter().chain(&setup_failed) {
        eprintln!("run {run}: {why}");
    }
    eprintln!(
        "libsrt {:?}: {runs} runs of a two-member broadcast group to one listener, {MSGS} \
         messages each (waiting for both members: {wait_for_both}), in {:?}: {} failed, {} \
         without their second member",
        srtfu::version(),
        t0.elapsed(),
        failed.len(),
        setup_failed.len()
    );
    assert!(
        failed.is_empty(),
        "{} of {runs} runs failed: {failed:?}",
        failed.len()
    );
    assert!(
        setup_failed.len() <= 2,
        "{} of {runs} runs lost a member before sending, or their first send: {setup_failed:?}",
        setup_failed.len()
    );
}

#[test]
fn backup_main_path_back_after_1s_the_group_returns_to_it() {
    if !has_bonding() {
        assert_no_bonding(
            SrtGroup::create_group(GroupType::Backup),
            "srt_create_group",
        );
        return;
    }
    let (l, addr) = group_listener(120);
    let main = Proxy::start(addr, Impair::default(), Impair::default());
    let backup = Proxy::start(addr, Impair::default(), Impair::default());
    const N: u32 = 3000; // 6 s at 500 payloads/s
    let rx = receive_group(l, N, Duration::from_secs(20));
    // Default SRTO_PEERIDLETIMEO (5 s): a 1 s outage makes the main member unstable, not
    // broken.
    let g = group_through(GroupType::Backup, &[&main, &backup], &[10, 1], |_| {});
    let status = |ms: &[srtfu::GroupMember], w| ms.iter().find(|m| m.weight == w).map(|m| m.status);
    let (mut during, mut after) = (Vec::new(), Vec::new());
    let fwd = |p: &Proxy| {
        p.counters()
            .0
            .forwarded
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    let (mut backup_fwd, mut main_fwd) = ((0, 0), (0, 0));
    stream(&g, N, Duration::from_millis(2), |i| match i {
        500 => main.blackout(true),
        900 => during = g.group_data().unwrap(),
        1000 => main.blackout(false),
        2500 => {
            after = g.group_data().unwrap();
            backup_fwd.0 = fwd(&backup);
            main_fwd.0 = fwd(&main);
        }
        2999 => {
            backup_fwd.1 = fwd(&backup);
            main_fwd.1 = fwd(&main);
        }
        _ => {}
    });
    let r = rx.join().expect("receiver");
    let (max_gap, missing) = gaps(&r, N);
    eprintln!("main: {}\nbackup: {}", main.report(), backup.report());
    eprintln!(
        "backup group, main path out for 1 s: during {during:?}\nafter {after:?}\n{} of {N} \
         payloads, {} missing, largest gap {max_gap:?}; in the last second the backup path \
         forwarded {} packets, the main path {}",
        r.seqs.len(),
        missing.len(),
        backup_fwd.1 - backup_fwd.0,
        main_fwd.1 - main_fwd.0
    );
    assert_eq!(
        status(&during, 1),
        Some(MemberStatus::Running),
        "backup active during the outage: {during:?}"
    );
    assert_eq!(
        status(&after, 10),
        Some(MemberStatus::Running),
        "main active again: {after:?}"
    );
    assert_eq!(
        status(&after, 1),
        Some(MemberStatus::Idle),
        "backup on standby again: {after:?}"
    );
    // On the wire: the main path carries the stream again (500 payloads/s). The backup is
    // not asserted silent: once in four loaded full runs it carried more than 100 packets in
    // that second (libsrt activating it again for a while when the main link looked unstable
    // to a starved process); its count is printed above.
    let main_last = main_fwd.1 - main_fwd.0;
    assert!(
        main_last >= 400,
        "main path carried {main_last} packets in the last second"
    );
    assert!(
        backup_fwd.1 - backup_fwd.0 <= main_last,
        "the backup path carried more than the main one: {} vs {main_last}",
        backup_fwd.1 - backup_fwd.0
    );
    assert!(missing.is_empty(), "payloads lost: {missing:?}");
}

#[test]
fn broadcast_over_two_paths_at_5_percent_loss_loses_nothing_compared_with_one_link() {
    if !has_bonding() {
        assert_no_bonding(
            SrtGroup::create_group(GroupType::Broadcast),
            "srt_create_group",
        );
        return;
    }
    // 5 % independent loss on each path, both ways, 20 ms each way; latency 120 ms.
    let lossy = || Impair {
        loss: 0.05,
        delay: Duration::from_millis(20),
        spare_handshake: true,
        ..Impair::default()
    };
    const N: u32 = 2500; // 5 s at 500 payloads/s
                         // One single link with the same impairment, for comparison.
    let (l, addr) = group_listener(120);
    let single = Proxy::start(addr, lossy(), lossy());
    let rx = receive_accepted(l, N, Duration::from_secs(20), false);
    let c = SrtSocket::new_raw().unwrap();
    c.setsockflag(SRTO_LATENCY, 120).unwrap();
    c.connect(single.addr()).unwrap();
    let start = Instant::now();
    for i in 0..N {
        if let Some(d) =
            (start + Duration::from_millis(2) * i).checked_duration_since(Instant::now())
        {
            thread::sleep(d);
        }
        c.sendmsg2(&payload(i), None).unwrap();
    }
    let one = rx.join().unwrap();
    let (_, one_missing) = gaps(&one, N);
    let one_stats = c.bstats(false).unwrap();
    drop(c);
    // The group over two such paths.
    let (l, addr) = group_listener(120);
    let p1 = Proxy::start(addr, lossy(), lossy());
    let p2 = Proxy::start(addr, lossy(), lossy());
    let rx = receive_group(l, N, Duration::from_secs(20));
    let g = group_through(GroupType::Broadcast, &[&p1, &p2], &[0, 0], |g| {
        g.setsockflag(SRTO_LATENCY, 120).unwrap();
    });
    stream(&g, N, Duration::from_millis(2), |_| {});
    let r = rx.join().unwrap();
    let (_, missing) = gaps(&r, N);
    let lost = |p: &Proxy| {
        p.counters()
            .0
            .lost
            .load(std::sync::atomic::Ordering::Relaxed)
    };
    eprintln!(
        "5 % loss per path, 20 ms each way, latency 120 ms, {N} payloads: one link lost {} at \
         the application ({} dropped by the proxy, {} retransmitted); the broadcast group lost \
         {} (proxies dropped {} and {})",
        one_missing.len(),
        lost(&single),
        one_stats.pkt_retrans_total,
        missing.len(),
        lost(&p1),
        lost(&p2)
    );
    assert!(lost(&p1) > 50 && lost(&p2) > 50, "both paths were lossy");
    assert!(missing.is_empty(), "the group lost {missing:?} ({})", r.end);
    let order: Vec<u32> = r.seqs.iter().map(|s| s.0).collect();
    assert_eq!(order, (0..N).collect::<Vec<_>>(), "once each, in order");
}

/// Issue 13 item 3: the datagramer over a group, both ways. A listener datagramer with
/// `groupconnect=1` receives from a two-member [`SrtGroup`] sender (its connection is the
/// accepted group, and its listener stays open for the second member), and a datagramer
/// opened from a group URL receives from a listener that accepted the group. Without bonding, the group URL fails with the one NoBonding error.
#[test]
fn datagramer_over_a_group_both_ways() {
    const N: u32 = 100;
    let port = support::reliability::free_port();
    let group_url =
        format!("srt:////group?type=broadcast&nodes=127.0.0.1:{port},127.0.0.1:{port}&latency=200");
    if !has_bonding() {
        assert_no_bonding(srtfu::datagramer(&group_url), "srt_create_group");
        return;
    }
    // The listener datagramer, fed by a group.
    let listener_url = format!("srt://127.0.0.1:{port}?mode=listener&groupconnect=1&latency=200");
    let rx = thread::spawn(move || {
        let d = srtfu::Datagramer::builder(&listener_url)
            .timeout(Duration::from_secs(10))
            .open()
            .expect("a group connects to the listener datagramer");
        let id = d.socket().expect("connected").id();
        assert!(
            srtfu::is_group_id(id),
            "the datagramer reads the group {id}"
        );
        d.collect::<Vec<_>>()
    });
    let g = srtfu::SrtGroup::open(&group_url).expect("the group connects");
    wait_members(&g, "both members", Duration::from_secs(5), |m| {
        m.len() == 2 && m.iter().all(connected)
    });
    // Data sent the instant a connection is made can be lost (README).
    thread::sleep(Duration::from_millis(200));
    stream(&g, N, Duration::from_millis(2), |_| {});
    srtfu::close_after_latency(g.into_socket(), Duration::from_millis(200)).unwrap();
    let got = rx.join().unwrap();
    let seqs: Vec<u32> = got
        .iter()
        .map(|p| seq_of(p.as_ref().expect("every item a payload")))
        .collect();
    assert_eq!(seqs, (0..N).collect::<Vec<_>>(), "listener datagramer");

    // The group-URL datagramer, fed through the listener's accepted group, two members. A
    // receiving group of two members to one listener meets libsrt 1.5.5's group receive
    // stall (issue 13 item 6; about 1 run in 15 here: delivery stops inside one group
    // receive although the members hold the payloads; RELIABILITY.md, "Broadcast receive
    // stall (libsrt 1.5.5)"). The datagramer receives from a group in slices of
    // GROUP_RECV_SLICE, so a stall costs one slice and loses nothing. Before, 4 runs of 30
    // ended after 7 to 69 of the 100 payloads.
    let (l, addr) = group_listener(200);
    let group_url = format!(
        "srt:////group?type=broadcast&nodes=127.0.0.1:{p},127.0.0.1:{p}&latency=200",
        p = addr.port()
    );
    let tx = thread::spawn(move || {
        let (acc, _) = l.accept_group().expect("accept");
        let Accepted::Group(g) = acc else {
            panic!("a group expected, got {acc:?}")
        };
        wait_members(&g, "both members", Duration::from_secs(5), |m| {
            m.len() == 2 && m.iter().all(connected)
        });
        thread::sleep(Duration::from_millis(200));
        stream(&g, N, Duration::from_millis(2), |_| {});
        srtfu::close_after_latency(g.into_socket(), Duration::from_millis(200)).unwrap();
    });
    let d = srtfu::Datagramer::builder(&group_url)
        .timeout(Duration::from_secs(10))
        .open()
        .expect("the group URL datagramer connects");
    assert!(srtfu::is_group_id(d.socket().unwrap().id()));
    let got: Vec<_> = d.collect();
    tx.join().unwrap();
    let seqs: Vec<u32> = got
        .iter()
        .map(|p| seq_of(p.as_ref().expect("every item a payload")))
        .collect();
    assert_eq!(seqs, (0..N).collect::<Vec<_>>(), "group-URL datagramer");
}

/// `accept_bond_group` over two listeners: a plain caller comes back as a socket (on every
/// libsrt, bonding or not); with bonding, a broadcast group with one member to each listener
/// comes back once, as a group whose address is its caller's, and carries data.
#[test]
fn accept_bond_group_tells_groups_from_sockets_over_several_listeners() {
    let (l1, a1, l2, a2) = if has_bonding() {
        let (l1, a1) = group_listener(120);
        let (l2, a2) = group_listener(120);
        (l1, a1, l2, a2)
    } else {
        let (l1, a1) = support::listener(srtfu::TransType::Live);
        let (l2, a2) = support::listener(srtfu::TransType::Live);
        (l1, a1, l2, a2)
    };
    // Nothing pending: a timeout, not a hang.
    let e = SrtSocket::accept_bond_group(&[&l1, &l2], Some(Duration::from_millis(100)))
        .expect_err("nobody called");
    assert!(e.is_timeout(), "{e}");

    // A single socket to the second listener, calling while accept_bond waits (libsrt's
    // srt_accept_bond does not see a caller already in the backlog: tests/mirrors.rs).
    let (acc, peer, c) = thread::scope(|scope| {
        let accepting =
            scope.spawn(|| SrtSocket::accept_bond_group(&[&l1, &l2], Some(Duration::from_secs(5))));
        thread::sleep(Duration::from_millis(100));
        let c = SrtSocket::new_raw().unwrap();
        c.connect(a2).unwrap();
        let (acc, peer) = accepting
            .join()
            .unwrap()
            .expect("accept_bond_group, plain caller");
        (acc, peer, c)
    });
    assert_eq!(peer, c.getsockname().unwrap());
    let Accepted::Socket(s) = acc else {
        panic!("a plain caller accepted as {acc:?}")
    };
    c.sendmsg(b"plain", None, true).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 1500];
    let n = s.recvmsg(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"plain");

    if !has_bonding() {
        assert_no_bonding(
            SrtGroup::create_group(GroupType::Broadcast),
            "srt_create_group",
        );
        return;
    }
    // Each member from its own known local port, to check the accepted group's address.
    let holders = [0, 1].map(|_| std::net::UdpSocket::bind("127.0.0.1:0").unwrap());
    let sources = holders.each_ref().map(|u| u.local_addr().unwrap());
    drop(holders);
    let g = SrtGroup::create_group(GroupType::Broadcast).unwrap();
    let mut eps = [
        SrtGroup::prepare_endpoint(Some(sources[0]), a1).unwrap(),
        SrtGroup::prepare_endpoint(Some(sources[1]), a2).unwrap(),
    ];
    let accepting = thread::spawn(move || {
        let r = SrtSocket::accept_bond_group(&[&l1, &l2], Some(Duration::from_secs(5)));
        (r, l1, l2)
    });
    g.connect_group(&mut eps).expect("connect_group");
    wait_members(&g, "both members", Duration::from_secs(5), |m| {
        m.len() == 2 && m.iter().all(connected)
    });
    let (r, l1, l2) = accepting.join().unwrap();
    let (acc, peer) = r.expect("accept_bond_group");
    let Accepted::Group(ag) = acc else {
        panic!("a group caller accepted as {acc:?}")
    };
    assert!(ag.as_socket().is_group());
    assert!(
        sources.contains(&peer),
        "accepted group's address {peer} is neither member's source {sources:?}"
    );
    // The other member joined the group: neither backlog holds anything to accept (a
    // non-blocking accept, since srt_accept_bond would not see a backlog anyway).
    for l in [&l1, &l2] {
        l.set_blocking(false).unwrap();
        let e = l
            .accept()
            .expect_err("the second member must not be accepted on its own");
        assert_eq!(e.code(), Some(srtfu::ErrorCode::AsyncRecv), "{e}");
    }
    ag.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    g.sendmsg2(&payload(7), None).unwrap();
    let n = ag.recvmsg(&mut buf).unwrap();
    assert_eq!(seq_of(&buf[..n]), 7);
}
