//! srtscte35: reads MPEG-TS from an SRT stream and prints every SCTE-35 cue in it.
//!
//! ```text
//! cargo run --example srtscte35 -- 'srt://127.0.0.1:4201' --sidecar cues.txt
//! ```
//!
//! Each cue becomes one line on stdout:
//!
//! ```text
//! pts=3.400000 pid=0x86 command=splice_insert splice_pts=4.000000 cue=/DAl... details={...}
//! ```
//!
//! `pts` is the program's latest presentation time (seconds, from the PES headers) when the
//! cue arrived, `splice_pts` the time the command names (with pts_adjustment), `cue` the whole
//! splice_info_section in base64 and `details` the command as scte35-reader parsed it (JSON).
//! A section whose CRC_32 does not match its bytes is still printed, bytes and all, as
//! `command=invalid ... details="crc mismatch: CRC_32 is 0x..., the section's bytes give
//! 0x..."`; one scte35-reader cannot parse otherwise is `command=unparsed details=null`.
//! `--sidecar FILE` writes `pts,cue` lines, the format threefive's scte35inject reads.
//!
//! MPEG-TS parsing is mpeg2ts-reader's, SCTE-35 parsing scte35-reader's. The program keeps
//! going when the PAT or a PMT changes, even when the new table keeps the old version number
//! (an encoder restart does that): it watches the tables' CRCs and starts a fresh
//! demultiplexer when one changes.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Write};
use std::process::ExitCode;
use std::rc::Rc;
use std::time::Duration;

use base64::Engine;
use clap::Parser;
use mpeg2ts_reader::demultiplex::{self, FilterChangeset, FilterRequest, PacketFilter};
use mpeg2ts_reader::packet::Packet;
use mpeg2ts_reader::{packet_filter_switch, pes, psi};
use scte35_reader::{SpliceCommand, SpliceDescriptors, SpliceInfoHeader, SpliceMode, SpliceTime};

/// Read MPEG-TS from SRT and print every SCTE-35 cue (PTS, command, splice details).
#[derive(Parser, Debug)]
#[command(version, about)]
struct Args {
    /// The stream, e.g. srt://127.0.0.1:4201 (caller) or srt://:4201?mode=listener.
    url: String,
    /// Also write `pts,cue` lines (cue in base64) to this file.
    #[arg(long, value_name = "FILE")]
    sidecar: Option<String>,
    /// Give up after this many seconds without data.
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
}

/// One cue as printed.
pub struct CueLine {
    pts: Option<u64>,
    pid: u16,
    command: &'static str,
    splice_pts: Option<String>,
    cue: String,
    details: String,
}

/// What the demultiplexer's filters share: PTS per program, found cues, the PMT PIDs.
pub struct Ctx {
    changeset: FilterChangeset<Switch>,
    /// Latest PTS (90 kHz) per program, keyed by the PMT PID.
    last_pts: HashMap<u16, u64>,
    pmt_pids: Vec<u16>,
    cues: Vec<CueLine>,
}

impl Ctx {
    fn new(pmt_pids: Vec<u16>) -> Ctx {
        Ctx {
            changeset: FilterChangeset::default(),
            last_pts: HashMap::new(),
            pmt_pids,
            cues: Vec::new(),
        }
    }
}

packet_filter_switch! {
    Switch<Ctx> {
        Pat: demultiplex::PatPacketFilter<Ctx>,
        Pmt: demultiplex::PmtPacketFilter<Ctx>,
        Null: demultiplex::NullPacketFilter<Ctx>,
        Scte35: Scte35Filter,
        Pts: PtsFilter,
    }
}

impl demultiplex::DemuxContext for Ctx {
    type F = Switch;

    fn filter_changeset(&mut self) -> &mut FilterChangeset<Switch> {
        &mut self.changeset
    }

    fn construct(&mut self, req: FilterRequest<'_, '_>) -> Switch {
        match req {
            FilterRequest::ByPid(psi::pat::PAT_PID) => {
                Switch::Pat(demultiplex::PatPacketFilter::default())
            }
            FilterRequest::Pmt {
                pid,
                program_number,
            } => {
                if !self.pmt_pids.contains(&u16::from(pid)) {
                    self.pmt_pids.push(u16::from(pid));
                }
                Switch::Pmt(demultiplex::PmtPacketFilter::new(pid, program_number))
            }
            FilterRequest::ByStream {
                stream_type,
                stream_info,
                program_pid,
                ..
            } => {
                let program = u16::from(program_pid);
                if stream_type == scte35_reader::SCTE35_STREAM_TYPE {
                    Switch::Scte35(Scte35Filter::new(program, stream_info.elementary_pid()))
                } else {
                    Switch::Pts(PtsFilter { program })
                }
            }
            FilterRequest::ByPid(_) | FilterRequest::Nit { .. } => {
                Switch::Null(demultiplex::NullPacketFilter::default())
            }
        }
    }
}

/// Notes the PTS of each PES packet that starts in a stream of the program.
pub struct PtsFilter {
    program: u16,
}

impl PacketFilter for PtsFilter {
    type Ctx = Ctx;
    fn consume(&mut self, ctx: &mut Ctx, pk: &Packet<'_>) {
        if !pk.payload_unit_start_indicator() {
            return;
        }
        let Some(header) = pk.payload().and_then(pes::PesHeader::from_bytes) else {
            return;
        };
        if let pes::PesContents::Parsed(Some(parsed)) = header.contents() {
            let pts = match parsed.pts_dts() {
                Ok(pes::PtsDts::PtsOnly(Ok(pts))) => pts,
                Ok(pes::PtsDts::Both { pts: Ok(pts), .. }) => pts,
                _ => return,
            };
            ctx.last_pts.insert(self.program, pts.value());
        }
    }
}

/// Parsed command of the section being handled, handed from scte35-reader's callback.
type Parsed = Rc<RefCell<Option<(&'static str, Option<u64>, String)>>>;

pub struct Collector(Parsed);

impl scte35_reader::SpliceInfoProcessor for Collector {
    fn process(
        &self,
        header: SpliceInfoHeader<'_>,
        command: SpliceCommand,
        descriptors: SpliceDescriptors<'_>,
    ) {
        let adjust = header.pts_adjustment();
        let timed = |t: &SpliceTime| match t {
            SpliceTime::Timed(Some(pts)) => Some((pts + adjust) & ((1 << 33) - 1)),
            _ => None,
        };
        let (name, splice_pts) = match &command {
            SpliceCommand::SpliceNull {} => ("splice_null", None),
            SpliceCommand::SpliceInsert { splice_detail, .. } => {
                let t = match splice_detail {
                    scte35_reader::SpliceInsert::Insert {
                        splice_mode: SpliceMode::Program(t),
                        ..
                    } => timed(t),
                    _ => None,
                };
                ("splice_insert", t)
            }
            SpliceCommand::TimeSignal { splice_time } => ("time_signal", timed(splice_time)),
            SpliceCommand::BandwidthReservation {} => ("bandwidth_reservation", None),
            SpliceCommand::PrivateCommand { .. } => ("private_command", None),
            _ => ("other", None),
        };
        let mut details = serde_json::to_string(&command).unwrap_or_default();
        let descs = serde_json::to_string(&descriptors).unwrap_or_default();
        if descs != "[]" && !descs.is_empty() {
            details.push_str(" descriptors=");
            details.push_str(&descs);
        }
        *self.0.borrow_mut() = Some((name, splice_pts, details));
    }
}

/// Keeps each whole section's bytes (for the base64 cue) and lets scte35-reader parse it.
pub struct CueSection {
    program: u16,
    pid: u16,
    parsed: Parsed,
    inner: scte35_reader::Scte35SectionProcessor<Collector, Ctx>,
}

impl psi::WholeCompactSyntaxPayloadParser for CueSection {
    type Context = Ctx;
    fn section(&mut self, ctx: &mut Ctx, header: &psi::SectionCommonHeader, data: &[u8]) {
        self.parsed.borrow_mut().take();
        self.inner.section(ctx, header, data);
        let parsed = self.parsed.borrow_mut().take();
        let (command, splice_pts, details) = match (parsed, crc_mismatch(data)) {
            (Some(p), None) => p,
            // scte35-reader drops a section whose CRC_32 is wrong; an operator must still
            // see the cue (streams in the field carry such), so say what is wrong.
            (_, Some(why)) => ("invalid", None, why),
            (None, None) => ("unparsed", None, String::from("null")),
        };
        ctx.cues.push(CueLine {
            pts: ctx.last_pts.get(&self.program).copied(),
            pid: self.pid,
            command,
            splice_pts: splice_pts.map(seconds),
            cue: base64::engine::general_purpose::STANDARD.encode(data),
            details,
        });
    }
}

/// `Some("crc mismatch: ...")` when the section's CRC_32 field does not match its bytes.
fn crc_mismatch(section: &[u8]) -> Option<String> {
    let (body, crc) = section.split_at(section.len().checked_sub(4)?);
    let found = u32::from_be_bytes(crc.try_into().ok()?);
    let computed = mpeg2ts_reader::mpegts_crc::sum32(body);
    (found != computed).then(|| {
        format!(
            "\"crc mismatch: CRC_32 is {found:#010x}, the section's bytes give {computed:#010x}\""
        )
    })
}

type SectionConsumer = psi::SectionPacketConsumer<
    psi::CompactSyntaxSectionProcessor<psi::BufferCompactSyntaxParser<CueSection>>,
>;

pub struct Scte35Filter(SectionConsumer);

impl Scte35Filter {
    fn new(program: u16, pid: mpeg2ts_reader::packet::Pid) -> Scte35Filter {
        let parsed: Parsed = Rc::new(RefCell::new(None));
        let section = CueSection {
            program,
            pid: u16::from(pid),
            parsed: parsed.clone(),
            inner: scte35_reader::Scte35SectionProcessor::new(Collector(parsed)),
        };
        Scte35Filter(psi::SectionPacketConsumer::new(
            psi::CompactSyntaxSectionProcessor::new(psi::BufferCompactSyntaxParser::new(section)),
        ))
    }
}

impl PacketFilter for Scte35Filter {
    type Ctx = Ctx;
    fn consume(&mut self, ctx: &mut Ctx, pk: &Packet<'_>) {
        self.0.consume(ctx, pk);
    }
}

fn seconds(ticks: u64) -> String {
    format!(
        "{}.{:06}",
        ticks / 90_000,
        (ticks % 90_000) * 1_000_000 / 90_000
    )
}

/// The CRC of a PSI section that starts in this packet (PAT or PMT), if it fits in it.
fn table_crc(pk: &[u8]) -> Option<[u8; 4]> {
    if pk[1] & 0x40 == 0 {
        return None;
    }
    let mut at = 4;
    match (pk[3] >> 4) & 0x3 {
        0b01 => {}
        0b11 => at += 1 + pk[4] as usize,
        _ => return None,
    }
    let pointer = *pk.get(at)? as usize;
    let s = pk.get(at + 1 + pointer..)?;
    if s.len() < 3 {
        return None;
    }
    let total = 3 + ((((s[1] & 0x0f) as usize) << 8) | s[2] as usize);
    if total < 8 || total > s.len() {
        return None;
    }
    s[total - 4..total].try_into().ok()
}

/// The demultiplexer and the table watch that restarts it when the PAT or a PMT changes.
struct Scanner {
    ctx: Ctx,
    demux: demultiplex::Demultiplex<Ctx>,
    table_crcs: HashMap<u16, [u8; 4]>,
    restarts: u32,
}

impl Scanner {
    fn new() -> Scanner {
        let mut ctx = Ctx::new(Vec::new());
        let demux = demultiplex::Demultiplex::new(&mut ctx);
        Scanner {
            ctx,
            demux,
            table_crcs: HashMap::new(),
            restarts: 0,
        }
    }

    /// Feeds one payload; returns the cues it completed.
    fn push(&mut self, payload: &[u8]) -> Vec<CueLine> {
        let mut changed = false;
        for pk in payload.chunks_exact(188) {
            let pid = (u16::from(pk[1] & 0x1f) << 8) | u16::from(pk[2]);
            if pid != 0 && !self.ctx.pmt_pids.contains(&pid) {
                continue;
            }
            if let Some(crc) = table_crc(pk) {
                if let Some(old) = self.table_crcs.insert(pid, crc) {
                    changed |= old != crc;
                }
            }
        }
        if changed {
            // A new table, perhaps with the old version number, which mpeg2ts-reader would
            // take for a repeat: start again from this payload on.
            self.restarts += 1;
            let pmt_pids = std::mem::take(&mut self.ctx.pmt_pids);
            let mut cues = std::mem::take(&mut self.ctx.cues);
            self.ctx = Ctx::new(pmt_pids);
            self.demux = demultiplex::Demultiplex::new(&mut self.ctx);
            self.demux_push(payload);
            cues.append(&mut self.ctx.cues);
            return cues;
        }
        self.demux_push(payload);
        std::mem::take(&mut self.ctx.cues)
    }

    /// Pushes a payload into the demultiplexer. The parsers assert on some malformed input;
    /// a live feed should not end the program for that: start afresh instead.
    fn demux_push(&mut self, payload: &[u8]) {
        let pushed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.demux.push(&mut self.ctx, payload)
        }));
        if pushed.is_err() {
            eprintln!("srtscte35: the TS parser gave up on a payload; starting afresh");
            let pmt_pids = std::mem::take(&mut self.ctx.pmt_pids);
            let cues = std::mem::take(&mut self.ctx.cues);
            self.ctx = Ctx::new(pmt_pids);
            self.ctx.cues = cues;
            self.demux = demultiplex::Demultiplex::new(&mut self.ctx);
        }
    }
}

fn main() -> ExitCode {
    let args = Args::parse();
    // libsrt's own log lines go to the `log` crate, which has no logger here: quiet stderr.
    srtfu::log::install();
    let mut builder = srtfu::Datagramer::builder(&args.url);
    if let Some(t) = args.timeout {
        match Duration::try_from_secs_f64(t) {
            Ok(d) if !d.is_zero() => builder = builder.timeout(d),
            _ => {
                eprintln!("srtscte35: --timeout must be a positive number of seconds");
                return ExitCode::from(2);
            }
        }
    }
    let mut sidecar = match args.sidecar.as_deref().map(File::create).transpose() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("srtscte35: cannot create the sidecar file: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut feed = match builder.open() {
        Ok(f) => f,
        Err(e) => {
            eprintln!("srtscte35: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut scanner = Scanner::new();
    let mut out = io::stdout().lock();
    let (mut payloads, mut cues, mut bad) = (0u64, 0u64, 0u64);
    let status = loop {
        let payload = match feed.recv() {
            Ok(Some(p)) => p,
            Ok(None) => break ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("srtscte35: {e}");
                break ExitCode::FAILURE;
            }
        };
        payloads += 1;
        if let Err(e) = srtfu::ts::packets(payload) {
            bad += 1;
            eprintln!("srtscte35: skipping payload {payloads}: {e}");
            continue;
        }
        for c in scanner.push(payload) {
            cues += 1;
            let pts = c.pts.map(seconds).unwrap_or_else(|| "unknown".into());
            let line = format!(
                "pts={pts} pid={:#x} command={} splice_pts={} cue={} details={}",
                c.pid,
                c.command,
                c.splice_pts.as_deref().unwrap_or("none"),
                c.cue,
                c.details
            );
            let written = writeln!(out, "{line}").and_then(|_| out.flush());
            if let Err(e) = written {
                if e.kind() == io::ErrorKind::BrokenPipe {
                    return ExitCode::SUCCESS;
                }
                eprintln!("srtscte35: stdout: {e}");
                return ExitCode::FAILURE;
            }
            if let Some(f) = sidecar.as_mut() {
                if let Err(e) = writeln!(f, "{pts},{}", c.cue).and_then(|_| f.flush()) {
                    eprintln!("srtscte35: sidecar: {e}");
                    return ExitCode::FAILURE;
                }
            }
        }
    };
    eprintln!(
        "srtscte35: {payloads} payloads, {cues} cues, {bad} payloads not TS, {} table changes",
        scanner.restarts
    );
    status
}
