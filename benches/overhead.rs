//! Per-call overhead of `SrtSocket` over the raw srt-sys call it wraps (criterion).
//!
//! ```text
//! cargo bench --bench overhead
//! ```
//!
//! Each pair runs on the same connected loopback socket: `getsockflag(SRTO_LATENCY)`,
//! `getsockstate`, and `recvmsg` on a non-blocking socket with nothing to read (the
//! would-block error path; the raw side reads and clears libsrt's error as a C caller would).

use std::hint::black_box;
use std::os::raw::{c_char, c_int, c_void};
use std::thread;

use criterion::{criterion_group, criterion_main, Criterion};
use srtfu::{sys, SrtSocket, SRTO_LATENCY};

/// A connected live pair over loopback; the second socket is non-blocking.
fn pair() -> (SrtSocket, SrtSocket) {
    let l = SrtSocket::new_raw().expect("socket");
    l.bind("127.0.0.1:0").expect("bind");
    l.listen(1).expect("listen");
    let addr = l.getsockname().expect("getsockname");
    let acc = thread::spawn(move || l.accept().expect("accept").0);
    let c = SrtSocket::new_raw().expect("socket");
    c.connect(addr).expect("connect");
    let a = acc.join().expect("accept thread");
    a.set_blocking(false).expect("non-blocking");
    (c, a)
}

fn raw_getsockflag_i32(id: sys::SRTSOCKET, opt: sys::SRT_SOCKOPT) -> c_int {
    let mut v: i32 = 0;
    let mut len: c_int = 4;
    // SAFETY: v and len are valid for writes; libsrt writes at most len bytes.
    unsafe { sys::srt_getsockflag(id, opt, &mut v as *mut i32 as *mut c_void, &mut len) };
    v
}

fn raw_recvmsg_empty(id: sys::SRTSOCKET, buf: &mut [u8]) -> c_int {
    // SAFETY: buf is valid for writes of buf.len() bytes.
    let rc = unsafe { sys::srt_recvmsg(id, buf.as_mut_ptr() as *mut c_char, buf.len() as c_int) };
    if rc < 0 {
        // SAFETY: reading and clearing libsrt's thread-local error has no preconditions.
        let code = unsafe { sys::srt_getlasterror(std::ptr::null_mut()) };
        // SAFETY: as above.
        unsafe { sys::srt_clearlasterror() };
        return code;
    }
    rc
}

fn overhead(cr: &mut Criterion) {
    let (_c, a) = pair();
    let id = a.id();
    let mut buf = [0u8; 1500];
    assert!(
        a.recvmsg(&mut buf).is_err_and(|e| e.is_would_block()),
        "the non-blocking socket must have nothing to read"
    );

    let mut g = cr.benchmark_group("getsockflag(SRTO_LATENCY)");
    g.bench_function("SrtSocket", |b| {
        b.iter(|| black_box(a.getsockflag(SRTO_LATENCY).ok()))
    });
    g.bench_function("raw srt-sys", |b| {
        b.iter(|| black_box(raw_getsockflag_i32(black_box(id), sys::SRTO_LATENCY)))
    });
    g.finish();

    let mut g = cr.benchmark_group("getsockstate");
    g.bench_function("SrtSocket", |b| b.iter(|| black_box(a.getsockstate())));
    g.bench_function("raw srt-sys", |b| {
        // SAFETY: plain call on a valid id.
        b.iter(|| black_box(unsafe { sys::srt_getsockstate(black_box(id)) }))
    });
    g.finish();

    let mut g = cr.benchmark_group("recvmsg non-blocking, nothing to read");
    g.bench_function("SrtSocket", |b| {
        b.iter(|| black_box(a.recvmsg(black_box(&mut buf)).is_err()))
    });
    let mut buf2 = [0u8; 1500];
    g.bench_function("raw srt-sys", |b| {
        b.iter(|| black_box(raw_recvmsg_empty(black_box(id), black_box(&mut buf2))))
    });
    g.finish();
}

criterion_group!(benches, overhead);
criterion_main!(benches);
