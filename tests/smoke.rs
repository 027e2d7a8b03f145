mod support;
use srtfu::*;

#[test]
fn live_pair_exchanges_a_message() {
    let (c, s) = support::pair(TransType::Live);
    assert_eq!(c.getsockstate(), SockStatus::Connected);
    c.sendmsg2(b"hello", None).unwrap();
    let mut buf = [0u8; 1500];
    let n = s.recvmsg(&mut buf).unwrap();
    assert_eq!(&buf[..n], b"hello");
    let st = c.bstats(false).unwrap();
    assert!(st.pkt_sent_total >= 1);
    println!("{c:?} {:?}", version());
}
