//! Connection statistics: every field of libsrt's `SRT_TRACEBSTATS` (`CBytePerfMon`),
//! from [`SrtSocket::bstats`](crate::SrtSocket::bstats) and
//! [`SrtSocket::bistats`](crate::SrtSocket::bistats).
//!
//! Field names are the C names in snake case (`pktSentTotal` → `pkt_sent_total`); the prefix
//! gives the unit (`pkt_` packets, `byte_` bytes, `ms_` milliseconds, `us_` microseconds,
//! `mbps_` megabits per second). `*_total` counters cover the connection's life; the others
//! cover the interval since the last read with `clear = true`.

use crate::sys;

/// A snapshot of a socket's statistics (`SRT_TRACEBSTATS`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct Stats {
    /// `msTimeStamp` in `SRT_TRACEBSTATS`.
    pub ms_timestamp: i64,
    /// `pktSentTotal` in `SRT_TRACEBSTATS`.
    pub pkt_sent_total: i64,
    /// `pktRecvTotal` in `SRT_TRACEBSTATS`.
    pub pkt_recv_total: i64,
    /// `pktSndLossTotal` in `SRT_TRACEBSTATS`.
    pub pkt_snd_loss_total: i32,
    /// `pktRcvLossTotal` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_loss_total: i32,
    /// `pktRetransTotal` in `SRT_TRACEBSTATS`.
    pub pkt_retrans_total: i32,
    /// `pktSentACKTotal` in `SRT_TRACEBSTATS`.
    pub pkt_sent_ack_total: i32,
    /// `pktRecvACKTotal` in `SRT_TRACEBSTATS`.
    pub pkt_recv_ack_total: i32,
    /// `pktSentNAKTotal` in `SRT_TRACEBSTATS`.
    pub pkt_sent_nak_total: i32,
    /// `pktRecvNAKTotal` in `SRT_TRACEBSTATS`.
    pub pkt_recv_nak_total: i32,
    /// `usSndDurationTotal` in `SRT_TRACEBSTATS`.
    pub us_snd_duration_total: i64,
    /// `pktSndDropTotal` in `SRT_TRACEBSTATS`.
    pub pkt_snd_drop_total: i32,
    /// `pktRcvDropTotal` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_drop_total: i32,
    /// `pktRcvUndecryptTotal` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_undecrypt_total: i32,
    /// `byteSentTotal` in `SRT_TRACEBSTATS`.
    pub byte_sent_total: u64,
    /// `byteRecvTotal` in `SRT_TRACEBSTATS`.
    pub byte_recv_total: u64,
    /// `byteRcvLossTotal` in `SRT_TRACEBSTATS`.
    pub byte_rcv_loss_total: u64,
    /// `byteRetransTotal` in `SRT_TRACEBSTATS`.
    pub byte_retrans_total: u64,
    /// `byteSndDropTotal` in `SRT_TRACEBSTATS`.
    pub byte_snd_drop_total: u64,
    /// `byteRcvDropTotal` in `SRT_TRACEBSTATS`.
    pub byte_rcv_drop_total: u64,
    /// `byteRcvUndecryptTotal` in `SRT_TRACEBSTATS`.
    pub byte_rcv_undecrypt_total: u64,
    /// `pktSent` in `SRT_TRACEBSTATS`.
    pub pkt_sent: i64,
    /// `pktRecv` in `SRT_TRACEBSTATS`.
    pub pkt_recv: i64,
    /// `pktSndLoss` in `SRT_TRACEBSTATS`.
    pub pkt_snd_loss: i32,
    /// `pktRcvLoss` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_loss: i32,
    /// `pktRetrans` in `SRT_TRACEBSTATS`.
    pub pkt_retrans: i32,
    /// `pktRcvRetrans` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_retrans: i32,
    /// `pktSentACK` in `SRT_TRACEBSTATS`.
    pub pkt_sent_ack: i32,
    /// `pktRecvACK` in `SRT_TRACEBSTATS`.
    pub pkt_recv_ack: i32,
    /// `pktSentNAK` in `SRT_TRACEBSTATS`.
    pub pkt_sent_nak: i32,
    /// `pktRecvNAK` in `SRT_TRACEBSTATS`.
    pub pkt_recv_nak: i32,
    /// `mbpsSendRate` in `SRT_TRACEBSTATS`.
    pub mbps_send_rate: f64,
    /// `mbpsRecvRate` in `SRT_TRACEBSTATS`.
    pub mbps_recv_rate: f64,
    /// `usSndDuration` in `SRT_TRACEBSTATS`.
    pub us_snd_duration: i64,
    /// `pktReorderDistance` in `SRT_TRACEBSTATS`.
    pub pkt_reorder_distance: i32,
    /// `pktRcvAvgBelatedTime` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_avg_belated_time: f64,
    /// `pktRcvBelated` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_belated: i64,
    /// `pktSndDrop` in `SRT_TRACEBSTATS`.
    pub pkt_snd_drop: i32,
    /// `pktRcvDrop` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_drop: i32,
    /// `pktRcvUndecrypt` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_undecrypt: i32,
    /// `byteSent` in `SRT_TRACEBSTATS`.
    pub byte_sent: u64,
    /// `byteRecv` in `SRT_TRACEBSTATS`.
    pub byte_recv: u64,
    /// `byteRcvLoss` in `SRT_TRACEBSTATS`.
    pub byte_rcv_loss: u64,
    /// `byteRetrans` in `SRT_TRACEBSTATS`.
    pub byte_retrans: u64,
    /// `byteSndDrop` in `SRT_TRACEBSTATS`.
    pub byte_snd_drop: u64,
    /// `byteRcvDrop` in `SRT_TRACEBSTATS`.
    pub byte_rcv_drop: u64,
    /// `byteRcvUndecrypt` in `SRT_TRACEBSTATS`.
    pub byte_rcv_undecrypt: u64,
    /// `usPktSndPeriod` in `SRT_TRACEBSTATS`.
    pub us_pkt_snd_period: f64,
    /// `pktFlowWindow` in `SRT_TRACEBSTATS`.
    pub pkt_flow_window: i32,
    /// `pktCongestionWindow` in `SRT_TRACEBSTATS`.
    pub pkt_congestion_window: i32,
    /// `pktFlightSize` in `SRT_TRACEBSTATS`.
    pub pkt_flight_size: i32,
    /// `msRTT` in `SRT_TRACEBSTATS`.
    pub ms_rtt: f64,
    /// `mbpsBandwidth` in `SRT_TRACEBSTATS`.
    pub mbps_bandwidth: f64,
    /// `byteAvailSndBuf` in `SRT_TRACEBSTATS`.
    pub byte_avail_snd_buf: i32,
    /// `byteAvailRcvBuf` in `SRT_TRACEBSTATS`.
    pub byte_avail_rcv_buf: i32,
    /// `mbpsMaxBW` in `SRT_TRACEBSTATS`.
    pub mbps_max_bw: f64,
    /// `byteMSS` in `SRT_TRACEBSTATS`.
    pub byte_mss: i32,
    /// `pktSndBuf` in `SRT_TRACEBSTATS`.
    pub pkt_snd_buf: i32,
    /// `byteSndBuf` in `SRT_TRACEBSTATS`.
    pub byte_snd_buf: i32,
    /// `msSndBuf` in `SRT_TRACEBSTATS`.
    pub ms_snd_buf: i32,
    /// `msSndTsbPdDelay` in `SRT_TRACEBSTATS`.
    pub ms_snd_tsbpd_delay: i32,
    /// `pktRcvBuf` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_buf: i32,
    /// `byteRcvBuf` in `SRT_TRACEBSTATS`.
    pub byte_rcv_buf: i32,
    /// `msRcvBuf` in `SRT_TRACEBSTATS`.
    pub ms_rcv_buf: i32,
    /// `msRcvTsbPdDelay` in `SRT_TRACEBSTATS`.
    pub ms_rcv_tsbpd_delay: i32,
    /// `pktSndFilterExtraTotal` in `SRT_TRACEBSTATS`.
    pub pkt_snd_filter_extra_total: i32,
    /// `pktRcvFilterExtraTotal` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_filter_extra_total: i32,
    /// `pktRcvFilterSupplyTotal` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_filter_supply_total: i32,
    /// `pktRcvFilterLossTotal` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_filter_loss_total: i32,
    /// `pktSndFilterExtra` in `SRT_TRACEBSTATS`.
    pub pkt_snd_filter_extra: i32,
    /// `pktRcvFilterExtra` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_filter_extra: i32,
    /// `pktRcvFilterSupply` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_filter_supply: i32,
    /// `pktRcvFilterLoss` in `SRT_TRACEBSTATS`.
    pub pkt_rcv_filter_loss: i32,
    /// `pktReorderTolerance` in `SRT_TRACEBSTATS`.
    pub pkt_reorder_tolerance: i32,
    /// `pktSentUniqueTotal` in `SRT_TRACEBSTATS`.
    pub pkt_sent_unique_total: i64,
    /// `pktRecvUniqueTotal` in `SRT_TRACEBSTATS`.
    pub pkt_recv_unique_total: i64,
    /// `byteSentUniqueTotal` in `SRT_TRACEBSTATS`.
    pub byte_sent_unique_total: u64,
    /// `byteRecvUniqueTotal` in `SRT_TRACEBSTATS`.
    pub byte_recv_unique_total: u64,
    /// `pktSentUnique` in `SRT_TRACEBSTATS`.
    pub pkt_sent_unique: i64,
    /// `pktRecvUnique` in `SRT_TRACEBSTATS`.
    pub pkt_recv_unique: i64,
    /// `byteSentUnique` in `SRT_TRACEBSTATS`.
    pub byte_sent_unique: u64,
    /// `byteRecvUnique` in `SRT_TRACEBSTATS`.
    pub byte_recv_unique: u64,
}

impl Stats {
    /// Copies libsrt's struct.
    pub fn from_raw(raw: &sys::SRT_TRACEBSTATS) -> Stats {
        Stats {
            ms_timestamp: raw.msTimeStamp,
            pkt_sent_total: raw.pktSentTotal,
            pkt_recv_total: raw.pktRecvTotal,
            pkt_snd_loss_total: raw.pktSndLossTotal,
            pkt_rcv_loss_total: raw.pktRcvLossTotal,
            pkt_retrans_total: raw.pktRetransTotal,
            pkt_sent_ack_total: raw.pktSentACKTotal,
            pkt_recv_ack_total: raw.pktRecvACKTotal,
            pkt_sent_nak_total: raw.pktSentNAKTotal,
            pkt_recv_nak_total: raw.pktRecvNAKTotal,
            us_snd_duration_total: raw.usSndDurationTotal,
            pkt_snd_drop_total: raw.pktSndDropTotal,
            pkt_rcv_drop_total: raw.pktRcvDropTotal,
            pkt_rcv_undecrypt_total: raw.pktRcvUndecryptTotal,
            byte_sent_total: raw.byteSentTotal,
            byte_recv_total: raw.byteRecvTotal,
            byte_rcv_loss_total: raw.byteRcvLossTotal,
            byte_retrans_total: raw.byteRetransTotal,
            byte_snd_drop_total: raw.byteSndDropTotal,
            byte_rcv_drop_total: raw.byteRcvDropTotal,
            byte_rcv_undecrypt_total: raw.byteRcvUndecryptTotal,
            pkt_sent: raw.pktSent,
            pkt_recv: raw.pktRecv,
            pkt_snd_loss: raw.pktSndLoss,
            pkt_rcv_loss: raw.pktRcvLoss,
            pkt_retrans: raw.pktRetrans,
            pkt_rcv_retrans: raw.pktRcvRetrans,
            pkt_sent_ack: raw.pktSentACK,
            pkt_recv_ack: raw.pktRecvACK,
            pkt_sent_nak: raw.pktSentNAK,
            pkt_recv_nak: raw.pktRecvNAK,
            mbps_send_rate: raw.mbpsSendRate,
            mbps_recv_rate: raw.mbpsRecvRate,
            us_snd_duration: raw.usSndDuration,
            pkt_reorder_distance: raw.pktReorderDistance,
            pkt_rcv_avg_belated_time: raw.pktRcvAvgBelatedTime,
            pkt_rcv_belated: raw.pktRcvBelated,
            pkt_snd_drop: raw.pktSndDrop,
            pkt_rcv_drop: raw.pktRcvDrop,
            pkt_rcv_undecrypt: raw.pktRcvUndecrypt,
            byte_sent: raw.byteSent,
            byte_recv: raw.byteRecv,
            byte_rcv_loss: raw.byteRcvLoss,
            byte_retrans: raw.byteRetrans,
            byte_snd_drop: raw.byteSndDrop,
            byte_rcv_drop: raw.byteRcvDrop,
            byte_rcv_undecrypt: raw.byteRcvUndecrypt,
            us_pkt_snd_period: raw.usPktSndPeriod,
            pkt_flow_window: raw.pktFlowWindow,
            pkt_congestion_window: raw.pktCongestionWindow,
            pkt_flight_size: raw.pktFlightSize,
            ms_rtt: raw.msRTT,
            mbps_bandwidth: raw.mbpsBandwidth,
            byte_avail_snd_buf: raw.byteAvailSndBuf,
            byte_avail_rcv_buf: raw.byteAvailRcvBuf,
            mbps_max_bw: raw.mbpsMaxBW,
            byte_mss: raw.byteMSS,
            pkt_snd_buf: raw.pktSndBuf,
            byte_snd_buf: raw.byteSndBuf,
            ms_snd_buf: raw.msSndBuf,
            ms_snd_tsbpd_delay: raw.msSndTsbPdDelay,
            pkt_rcv_buf: raw.pktRcvBuf,
            byte_rcv_buf: raw.byteRcvBuf,
            ms_rcv_buf: raw.msRcvBuf,
            ms_rcv_tsbpd_delay: raw.msRcvTsbPdDelay,
            pkt_snd_filter_extra_total: raw.pktSndFilterExtraTotal,
            pkt_rcv_filter_extra_total: raw.pktRcvFilterExtraTotal,
            pkt_rcv_filter_supply_total: raw.pktRcvFilterSupplyTotal,
            pkt_rcv_filter_loss_total: raw.pktRcvFilterLossTotal,
            pkt_snd_filter_extra: raw.pktSndFilterExtra,
            pkt_rcv_filter_extra: raw.pktRcvFilterExtra,
            pkt_rcv_filter_supply: raw.pktRcvFilterSupply,
            pkt_rcv_filter_loss: raw.pktRcvFilterLoss,
            pkt_reorder_tolerance: raw.pktReorderTolerance,
            pkt_sent_unique_total: raw.pktSentUniqueTotal,
            pkt_recv_unique_total: raw.pktRecvUniqueTotal,
            byte_sent_unique_total: raw.byteSentUniqueTotal,
            byte_recv_unique_total: raw.byteRecvUniqueTotal,
            pkt_sent_unique: raw.pktSentUnique,
            pkt_recv_unique: raw.pktRecvUnique,
            byte_sent_unique: raw.byteSentUnique,
            byte_recv_unique: raw.byteRecvUnique,
        }
    }
}
