//! Every socket option against the real libsrt: set, read back, compare; the documented
//! defaults; int64 options carrying values above 2^32.

use srtfu::*;
use std::os::raw::{c_int, c_void};
use std::time::Duration;

/// The srt.h of the headers the bindings were generated from (srt-sys's include paths).
fn built_srt_h() -> String {
    let dirs = env!("SRTFU_SRT_INCLUDE");
    std::env::split_paths(dirs)
        .flat_map(|d| [d.join("srt/srt.h"), d.join("srt.h")])
        .find_map(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_else(|| panic!("no srt.h under the build's include paths {dirs:?}"))
}

fn fresh() -> SrtSocket {
    SrtSocket::new_raw().expect("srt_create_socket")
}

/// Whether this libsrt was built with ENABLE_BONDING (socket groups).
fn bonding_available() -> bool {
    startup().expect("srt_startup");
    // SAFETY: srt_create_group takes a group type and returns a group id or SRT_INVALID_SOCK.
    let g = unsafe { sys::srt_create_group(sys::SRT_GTYPE_BROADCAST) };
    if g == sys::SRT_INVALID_SOCK {
        return false;
    }
    // SAFETY: g is a group we just created and close once.
    unsafe { sys::srt_close(g) };
    true
}

/// Options that exist only in bonding builds: with bonding off, libsrt must answer SRT_EINVOP.
fn expect_no_bonding(name: &str, e: &Error) {
    assert!(
        !bonding_available(),
        "{name} failed although bonding is available: {e}"
    );
    // libsrt 1.5.1 answers SRT_EINVPARAM to the set and SRT_EINVOP to the get; srtfu turns
    // both into its one error for a libsrt without bonding.
    assert!(matches!(e, Error::NoBonding { .. }), "{name}: {e:?}");
    assert!(e.to_string().contains(name), "error names the option: {e}");
    assert!(
        e.to_string().contains("built without connection bonding"),
        "{e}"
    );
}

// One test per read-write option: read the default, set a different value, read it back.
// `every_settable_option_is_covered` proves that no writable option of ALL_OPTIONS is missing.
macro_rules! round_trip {
    ($( $opt:ident = $val:expr; )*) => {
        /// One test per option, named like it; kept apart so the names do not shadow the
        /// constants.
        mod round_trip {
            use super::*;
        $(
            #[test]
            #[allow(non_snake_case)]
            fn $opt() {
                let s = fresh();
                let value = $val;
                let before = s.getsockflag(srtfu::$opt).expect("read default");
                assert_ne!(before, value, "pick a test value other than the default");
                s.setsockflag(srtfu::$opt, value.clone())
                    .unwrap_or_else(|e| panic!("set {}: {e}", stringify!($opt)));
                let after = s.getsockflag(srtfu::$opt)
                    .unwrap_or_else(|e| panic!("get {}: {e}", stringify!($opt)));
                assert_eq!(after, value, "{} did not round-trip", stringify!($opt));
            }
        )*
        /// The options tested here.
        pub const NAMES: &[&str] = &[$(stringify!($opt)),*];
        }
    };
}

round_trip! {
    SRTO_BINDTODEVICE = String::from("lo");
    SRTO_CONGESTION = String::from("file");
    SRTO_CONNTIMEO = 1234;
    SRTO_DRIFTTRACER = false;
    SRTO_ENFORCEDENCRYPTION = false;
    SRTO_FC = 32000;
    SRTO_INPUTBW = 5_000_000_000i64;
    SRTO_IPTOS = 0x10;
    SRTO_IPTTL = 32;
    SRTO_IPV6ONLY = 1;
    SRTO_KMPREANNOUNCE = 4096;
    SRTO_KMREFRESHRATE = 100_000;
    SRTO_LATENCY = 250;
    SRTO_LINGER = Linger(Some(Duration::from_secs(7)));
    SRTO_LOSSMAXTTL = 10;
    SRTO_MAXBW = 6_000_000_000i64;
    SRTO_MESSAGEAPI = false;
    SRTO_MININPUTBW = 7_000_000_000i64;
    SRTO_MINVERSION = 0x010300;
    SRTO_MSS = 1400;
    SRTO_NAKREPORT = false;
    SRTO_OHEADBW = 50;
    SRTO_PACKETFILTER = String::from("fec,cols:10,rows:5");
    SRTO_PAYLOADSIZE = 1000;
    SRTO_PBKEYLEN = 24;
    SRTO_PEERIDLETIMEO = 7000;
    SRTO_PEERLATENCY = 300;
    SRTO_RCVBUF = 1472 * 10_000;
    SRTO_RCVLATENCY = 333;
    SRTO_RCVSYN = false;
    SRTO_RCVTIMEO = 1500;
    SRTO_RENDEZVOUS = true;
    SRTO_RETRANSMITALGO = 0;
    SRTO_REUSEADDR = false;
    SRTO_SENDER = true;
    SRTO_SNDBUF = 1472 * 10_000;
    SRTO_SNDDROPDELAY = 100;
    SRTO_SNDSYN = false;
    SRTO_SNDTIMEO = 1500;
    SRTO_STREAMID = String::from("#!::r=live/feed1,m=publish");
    SRTO_TLPKTDROP = false;
    SRTO_TSBPDMODE = false;
    SRTO_UDP_RCVBUF = 1_000_000;
    SRTO_UDP_SNDBUF = 1_000_000;
}

/// Write-only options: libsrt takes them and never reports them.
const WRITE_ONLY: &[&str] = &["SRTO_PASSPHRASE", "SRTO_TRANSTYPE"];
/// Options of bonding builds, checked in `group_options`.
const GROUP: &[&str] = &[
    "SRTO_GROUPCONNECT",
    "SRTO_GROUPMINSTABLETIMEO",
    "SRTO_GROUPTYPE",
];

/// The API previews of libsrt 1.5.x, where the build has them (a source build with
/// ENABLE_AEAD_API_PREVIEW / ENABLE_MAXREXMITBW): the same round trip.
const PREVIEW: &[&str] = &[
    #[cfg(srt_aead)]
    "SRTO_CRYPTOMODE",
    #[cfg(srt_maxrexmitbw)]
    "SRTO_MAXREXMITBW",
];

#[cfg(srt_aead)]
#[test]
fn cryptomode_round_trips_where_libsrt_has_it() {
    let s = fresh();
    assert_eq!(s.getsockflag(SRTO_CRYPTOMODE).unwrap(), 0, "default: auto");
    s.setsockflag(SRTO_CRYPTOMODE, 2).unwrap();
    assert_eq!(s.getsockflag(SRTO_CRYPTOMODE).unwrap(), 2);
    // libsrt judges the value: 3 is no mode.
    let e = s.setsockflag(SRTO_CRYPTOMODE, 3).unwrap_err();
    assert_eq!(e.code(), Some(ErrorCode::InvalidParam), "{e}");
    assert!(e.to_string().contains("SRTO_CRYPTOMODE"), "{e}");
}

#[cfg(all(srt_maxrexmitbw, srt_1_5_4))]
#[test]
fn maxrexmitbw_round_trips_where_libsrt_has_it() {
    let s = fresh();
    assert_eq!(
        s.getsockflag(SRTO_MAXREXMITBW).unwrap(),
        -1,
        "default: unlimited"
    );
    s.setsockflag(SRTO_MAXREXMITBW, 5_000_000_000i64).unwrap();
    assert_eq!(s.getsockflag(SRTO_MAXREXMITBW).unwrap(), 5_000_000_000i64);
}

/// libsrt 1.5.3 takes SRTO_MAXREXMITBW but cannot report it: write-only in srtfu (a
/// getsockflag does not compile), and libsrt's own answer to a raw get is SRT_EINVOP.
#[cfg(all(srt_maxrexmitbw, not(srt_1_5_4)))]
#[test]
fn maxrexmitbw_is_write_only_on_1_5_3() {
    let s = fresh();
    s.setsockflag(SRTO_MAXREXMITBW, 5_000_000_000i64).unwrap();
    let mut v = 0i64;
    let mut len = std::mem::size_of::<i64>() as c_int;
    // SAFETY: v is a live i64 and len its size, as srt_getsockflag expects.
    let rc = unsafe {
        sys::srt_getsockflag(
            s.id(),
            SRTO_MAXREXMITBW.raw(),
            &mut v as *mut i64 as *mut c_void,
            &mut len,
        )
    };
    assert_eq!(rc, -1, "libsrt 1.5.3 reports SRTO_MAXREXMITBW after all");
    let mut errno = 0;
    // SAFETY: reads this thread's last error into a local.
    let code = unsafe { sys::srt_getlasterror(&mut errno) };
    assert_eq!(ErrorCode::from_raw(code), ErrorCode::InvalidOperation);
}

#[test]
fn every_settable_option_is_covered() {
    for o in ALL_OPTIONS.iter().filter(|o| o.writable) {
        assert!(
            round_trip::NAMES.contains(&o.name)
                || WRITE_ONLY.contains(&o.name)
                || GROUP.contains(&o.name)
                || PREVIEW.contains(&o.name),
            "{} has no round-trip test",
            o.name
        );
    }
    for name in round_trip::NAMES {
        let o = OptionInfo::by_key(name).expect("known option");
        assert!(o.readable && o.writable, "{name} is tested as read-write");
    }
    for name in WRITE_ONLY {
        let o = OptionInfo::by_key(name).expect("known option");
        assert!(o.writable && !o.readable, "{name} is write-only");
    }
}

#[test]
fn every_option_of_srt_h_is_in_the_table() {
    // The names the srt.h the bindings were generated from declares in SRT_SOCKOPT, minus the
    // deprecated aliases and those behind an #ifdef the build did not define (the API
    // previews of libsrt 1.5.x).
    let header = built_srt_h();
    let defines: Vec<&str> = env!("SRTFU_SRT_DEFINES")
        .split_whitespace()
        .map(|d| d.split('=').next().unwrap_or(d))
        .collect();
    let mut skipping = false;
    let start = header
        .find("typedef enum SRT_SOCKOPT")
        .expect("SRT_SOCKOPT in srt.h");
    let end = start
        + header[start..]
            .find("} SRT_SOCKOPT;")
            .expect("end of SRT_SOCKOPT");
    let mut names = Vec::new();
    for line in header[start..end].lines() {
        let t = line.trim();
        if let Some(name) = t.strip_prefix("#ifdef ") {
            skipping = !defines.contains(&name.trim());
            continue;
        }
        if t.starts_with("#endif") {
            skipping = false;
            continue;
        }
        if skipping {
            continue;
        }
        if let Some(rest) = t.strip_prefix("SRTO_") {
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != "E_SIZE" {
                // SRTO_E_SIZE only counts the entries.
                names.push(format!("SRTO_{name}"));
            }
        }
    }
    assert!(names.len() > 50, "parsed {} names from srt.h", names.len());
    for n in &names {
        assert!(
            ALL_OPTIONS.iter().any(|o| o.name == n),
            "{n} from srt.h is missing in ALL_OPTIONS"
        );
    }
    assert_eq!(
        names.len(),
        ALL_OPTIONS.len(),
        "ALL_OPTIONS has extra names"
    );
}

#[test]
fn readable_options_all_read_on_a_fresh_socket() {
    let s = fresh();
    for o in ALL_OPTIONS.iter().filter(|o| o.readable) {
        if GROUP.contains(&o.name) {
            continue;
        }
        let mut buf = [0u8; 1024];
        let mut len = buf.len() as c_int;
        // SAFETY: buf is writable for len bytes; libsrt updates len.
        let rc = unsafe {
            sys::srt_getsockflag(s.id(), o.id, buf.as_mut_ptr() as *mut c_void, &mut len)
        };
        assert_eq!(rc, 0, "{} is marked readable but libsrt refuses it", o.name);
    }
    for name in WRITE_ONLY {
        let o = OptionInfo::by_key(name).unwrap();
        let mut buf = [0u8; 1024];
        let mut len = buf.len() as c_int;
        // SAFETY: as above.
        let rc = unsafe {
            sys::srt_getsockflag(s.id(), o.id, buf.as_mut_ptr() as *mut c_void, &mut len)
        };
        assert_eq!(rc, -1, "{name} is readable after all; make it ReadWrite");
        // SAFETY: clears this thread's error state.
        unsafe { sys::srt_clearlasterror() };
    }
}

#[test]
fn write_only_options_are_accepted() {
    let s = fresh();
    s.setsockflag(SRTO_PASSPHRASE, "0123456789abcdef").unwrap();
    s.setsockflag(SRTO_PASSPHRASE, "").unwrap(); // empty turns encryption off again
    s.setsockflag(SRTO_TRANSTYPE, TransType::File).unwrap();
    // File transtype changes the defaults it is documented to change.
    assert!(!s.getsockflag(SRTO_MESSAGEAPI).unwrap());
    assert!(!s.getsockflag(SRTO_TSBPDMODE).unwrap());
    assert_eq!(s.getsockflag(SRTO_CONGESTION).unwrap(), "file");
    assert_eq!(s.getsockflag(SRTO_PAYLOADSIZE).unwrap(), 0);
    assert_eq!(
        s.getsockflag(SRTO_LINGER).unwrap(),
        Linger(Some(Duration::from_secs(180)))
    );
    s.setsockflag(SRTO_TRANSTYPE, TransType::Live).unwrap();
    assert!(s.getsockflag(SRTO_MESSAGEAPI).unwrap());
    assert_eq!(s.getsockflag(SRTO_PAYLOADSIZE).unwrap(), 1316);
}

#[test]
fn group_options() {
    let s = fresh();
    match s.setsockflag(SRTO_GROUPCONNECT, 1) {
        Ok(()) => assert_eq!(s.getsockflag(SRTO_GROUPCONNECT).unwrap(), 1),
        Err(e) => expect_no_bonding("SRTO_GROUPCONNECT", &e),
    }
    match s.setsockflag(SRTO_GROUPMINSTABLETIMEO, 100) {
        Ok(()) => assert_eq!(s.getsockflag(SRTO_GROUPMINSTABLETIMEO).unwrap(), 100),
        Err(e) => expect_no_bonding("SRTO_GROUPMINSTABLETIMEO", &e),
    }
    if let Err(e) = s.getsockflag(SRTO_GROUPTYPE) {
        expect_no_bonding("SRTO_GROUPTYPE", &e);
    }
}

#[test]
fn defaults_read_back_as_documented() {
    let s = fresh();
    assert_eq!(s.getsockflag(SRTO_LATENCY).unwrap(), 120);
    assert_eq!(s.getsockflag(SRTO_RCVLATENCY).unwrap(), 120);
    assert_eq!(s.getsockflag(SRTO_PEERLATENCY).unwrap(), 0);
    assert_eq!(s.getsockflag(SRTO_CONNTIMEO).unwrap(), 3000);
    assert_eq!(s.getsockflag(SRTO_PEERIDLETIMEO).unwrap(), 5000);
    assert_eq!(s.getsockflag(SRTO_PAYLOADSIZE).unwrap(), 1316);
    assert_eq!(s.payload_size().unwrap(), 1316);
    assert_eq!(s.getsockflag(SRTO_FC).unwrap(), 25600);
    assert_eq!(s.getsockflag(SRTO_MSS).unwrap(), 1500);
    assert_eq!(s.getsockflag(SRTO_MAXBW).unwrap(), -1);
    assert_eq!(s.getsockflag(SRTO_INPUTBW).unwrap(), 0);
    assert_eq!(s.getsockflag(SRTO_MININPUTBW).unwrap(), 0);
    assert_eq!(s.getsockflag(SRTO_OHEADBW).unwrap(), 25);
    assert_eq!(s.getsockflag(SRTO_PBKEYLEN).unwrap(), 0);
    assert_eq!(s.getsockflag(SRTO_RCVTIMEO).unwrap(), -1);
    assert_eq!(s.getsockflag(SRTO_SNDTIMEO).unwrap(), -1);
    assert_eq!(s.getsockflag(SRTO_IPTTL).unwrap(), -1); // "system default" before bind
    assert_eq!(s.getsockflag(SRTO_IPV6ONLY).unwrap(), -1);
    assert_eq!(s.getsockflag(SRTO_MINVERSION).unwrap(), 0x010000);
    assert_eq!(s.getsockflag(SRTO_RETRANSMITALGO).unwrap(), 1);
    assert_eq!(s.getsockflag(SRTO_UDP_SNDBUF).unwrap(), 65536);
    assert_eq!(s.getsockflag(SRTO_UDP_RCVBUF).unwrap(), 8192 * 1500);
    assert_eq!(s.getsockflag(SRTO_RCVBUF).unwrap(), 8192 * (1500 - 28));
    assert_eq!(s.getsockflag(SRTO_SNDBUF).unwrap(), 8192 * (1500 - 28));
    assert_eq!(s.getsockflag(SRTO_LINGER).unwrap(), Linger(None)); // live: no lingering
    for (opt, name) in [
        (SRTO_RCVSYN, "RCVSYN"),
        (SRTO_SNDSYN, "SNDSYN"),
        (SRTO_TSBPDMODE, "TSBPDMODE"),
        (SRTO_TLPKTDROP, "TLPKTDROP"),
        (SRTO_NAKREPORT, "NAKREPORT"),
        (SRTO_MESSAGEAPI, "MESSAGEAPI"),
        (SRTO_ENFORCEDENCRYPTION, "ENFORCEDENCRYPTION"),
        (SRTO_REUSEADDR, "REUSEADDR"),
        (SRTO_DRIFTTRACER, "DRIFTTRACER"),
    ] {
        assert!(s.getsockflag(opt).unwrap(), "{name} defaults to on");
    }
    assert!(!s.getsockflag(SRTO_RENDEZVOUS).unwrap());
    assert_eq!(s.getsockflag(SRTO_CONGESTION).unwrap(), "live");
    assert_eq!(s.streamid().unwrap(), "");
    assert_eq!(s.getsockflag(SRTO_PACKETFILTER).unwrap(), "");
    assert_eq!(s.getsockflag(SRTO_STATE).unwrap(), SockStatus::Init);
    assert_eq!(s.getsockstate(), SockStatus::Init);
    assert_eq!(s.getsockflag(SRTO_KMSTATE).unwrap(), KmState::Unsecured);
    let (maj, min, patch) = version();
    let packed = (maj << 16 | min << 8 | patch) as i32;
    assert_eq!(s.getsockflag(SRTO_VERSION).unwrap(), packed);
    assert!(version() >= (1, 5, 0), "libsrt {:?}", version());
}

#[test]
fn int64_options_take_eight_bytes() {
    let s = fresh();
    let big = (1i64 << 32) + 12345;
    for (opt, name) in [
        (SRTO_MAXBW, "MAXBW"),
        (SRTO_INPUTBW, "INPUTBW"),
        (SRTO_MININPUTBW, "MININPUTBW"),
    ] {
        s.setsockflag(opt, big).unwrap();
        assert_eq!(s.getsockflag(opt).unwrap(), big, "{name}");
        // What the Python seed did: 4 bytes. libsrt refuses that for an int64 option.
        let four: i32 = 1000;
        // SAFETY: a valid pointer to 4 bytes; libsrt checks the length.
        let rc = unsafe {
            sys::srt_setsockflag(s.id(), opt.raw(), &four as *const i32 as *const c_void, 4)
        };
        assert_eq!(rc, -1, "libsrt took 4 bytes for {name}");
        // SAFETY: clears this thread's error state.
        unsafe { sys::srt_clearlasterror() };
        assert_eq!(s.getsockflag(opt).unwrap(), big, "{name} unchanged");
    }
    s.setsockflag(SRTO_MAXBW, -1i64).unwrap();
    assert_eq!(s.getsockflag(SRTO_MAXBW).unwrap(), -1);
}

#[test]
fn bad_values_are_refused_naming_the_option() {
    let s = fresh();
    for (res, name) in [
        (s.setsockflag(SRTO_PBKEYLEN, 20), "SRTO_PBKEYLEN"),
        (s.setsockflag(SRTO_LATENCY, -5), "SRTO_LATENCY"),
        (s.setsockflag(SRTO_PAYLOADSIZE, 5000), "SRTO_PAYLOADSIZE"),
        (s.setsockflag(SRTO_MAXBW, -7i64), "SRTO_MAXBW"),
        (s.setsockflag(SRTO_CONGESTION, "bogus"), "SRTO_CONGESTION"),
        (
            s.setsockflag(SRTO_STREAMID, "x".repeat(513)),
            "SRTO_STREAMID",
        ),
        (s.setsockflag(SRTO_MSS, 10), "SRTO_MSS"),
    ] {
        let e = res.expect_err(name);
        assert!(e.to_string().contains(name), "{name}: {e}");
    }
}

#[test]
fn prebind_options_are_refused_after_bind() {
    let s = fresh();
    s.bind("127.0.0.1:0").unwrap();
    let e = s.setsockflag(SRTO_MSS, 1400).unwrap_err();
    assert!(e.to_string().contains("SRTO_MSS"), "{e}");
    let info = OptionInfo::by_key("mss").unwrap();
    assert_eq!(info.binding, Binding::PreBind);
}

#[test]
fn sockopt_debug_shows_the_name() {
    assert_eq!(format!("{SRTO_LATENCY:?}"), "SRTO_LATENCY");
    assert_eq!(format!("{:?}", SRTO_MAXBW), "SRTO_MAXBW");
    assert_eq!(SRTO_PASSPHRASE.name(), "SRTO_PASSPHRASE");
    assert_eq!(SRTO_LATENCY.raw(), sys::SRTO_LATENCY);
    assert_eq!(OptionInfo::by_key("LATENCY").unwrap().url_key(), "latency");
    assert_eq!(
        OptionInfo::by_key("SRTO_UDP_SNDBUF").unwrap().url_key(),
        "udp_sndbuf"
    );
    assert_eq!(format!("{}", SockStatus::Connected), "SRTS_CONNECTED");
    assert_eq!(format!("{}", KmState::BadSecret), "SRT_KM_S_BADSECRET");
}
