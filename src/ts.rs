//! A view of live payloads as MPEG-TS packets: 188-byte packets that start with the sync
//! byte 0x47. A TS-over-SRT payload usually holds seven of them (1316 bytes).

use crate::error::{Error, Result};

/// Size of one MPEG-TS packet in bytes.
pub const TS_PACKET_SIZE: usize = 188;
/// The byte every MPEG-TS packet starts with.
pub const TS_SYNC_BYTE: u8 = 0x47;

/// One 188-byte MPEG-TS packet, borrowed from a payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TsPacket<'a>(&'a [u8; TS_PACKET_SIZE]);

impl<'a> TsPacket<'a> {
    /// The packet's 188 bytes.
    pub fn bytes(&self) -> &'a [u8; TS_PACKET_SIZE] {
        self.0
    }
    /// The 13-bit packet identifier.
    pub fn pid(&self) -> u16 {
        (u16::from(self.0[1] & 0x1f) << 8) | u16::from(self.0[2])
    }
    /// The payload_unit_start_indicator bit.
    pub fn payload_unit_start(&self) -> bool {
        self.0[1] & 0x40 != 0
    }
    /// The transport_error_indicator bit.
    pub fn transport_error(&self) -> bool {
        self.0[1] & 0x80 != 0
    }
    /// The 4-bit continuity counter.
    pub fn continuity_counter(&self) -> u8 {
        self.0[3] & 0x0f
    }
}

/// The packets of a payload, in order; made by [`packets`].
#[derive(Debug, Clone)]
pub struct TsPackets<'a> {
    chunks: std::slice::ChunksExact<'a, u8>,
}

impl<'a> Iterator for TsPackets<'a> {
    type Item = TsPacket<'a>;
    fn next(&mut self) -> Option<TsPacket<'a>> {
        let c = self.chunks.next()?;
        // The length was checked in `packets`: every chunk is exactly one packet.
        c.try_into().ok().map(TsPacket)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

impl ExactSizeIterator for TsPackets<'_> {}

/// Splits a payload into 188-byte MPEG-TS packets, after checking that its length is a
/// whole number of packets and that every packet starts with the sync byte 0x47.
///
/// ```
/// let mut payload = vec![0u8; 7 * 188];
/// for p in payload.chunks_mut(188) {
///     p[0] = 0x47;
///     p[2] = 0x11; // PID 0x11
/// }
/// let pids: Vec<u16> = srtfu::ts::packets(&payload)?.map(|p| p.pid()).collect();
/// assert_eq!(pids, vec![0x11; 7]);
/// assert!(srtfu::ts::packets(&payload[..1000]).is_err());
/// # Ok::<(), srtfu::Error>(())
/// ```
///
/// # Errors
/// [`Error::InvalidArgument`] when the payload is empty or not a multiple of 188 bytes, or
/// when a packet does not start with 0x47 (the message gives the packet's index and byte).
pub fn packets(payload: &[u8]) -> Result<TsPackets<'_>> {
    if payload.is_empty() || payload.len() % TS_PACKET_SIZE != 0 {
        return Err(Error::InvalidArgument {
            call: "ts::packets",
            reason: format!(
                "a payload of {} bytes is not a whole number of {TS_PACKET_SIZE}-byte TS packets",
                payload.len()
            ),
        });
    }
    if let Some((i, c)) = payload
        .chunks_exact(TS_PACKET_SIZE)
        .enumerate()
        .find(|(_, c)| c[0] != TS_SYNC_BYTE)
    {
        return Err(Error::InvalidArgument {
            call: "ts::packets",
            reason: format!(
                "TS packet {i} (byte offset {}) starts with {:#04x}, not the sync byte 0x47",
                i * TS_PACKET_SIZE,
                c[0]
            ),
        });
    }
    Ok(TsPackets {
        chunks: payload.chunks_exact(TS_PACKET_SIZE),
    })
}
