#!/bin/sh
# Makes tests/data/scte35.ts and its cue list (see tests/data/README.md).
set -e
TF=${TF:?set TF to the bin directory of a virtualenv with threefive}
cd "$(dirname "$0")"
WORK=$(mktemp -d)
OUT=$(pwd)
cd "$WORK"
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc=size=320x240:rate=25 -t 6 \
  -c:v libx264 -preset veryfast -g 25 -b:v 200k -pix_fmt yuv420p \
  -mpegts_pmt_start_pid 0x1000 -mpegts_start_pid 0x100 -mpegts_service_id 1 -f mpegts partA.ts
ffmpeg -hide_banner -loglevel error -y -f lavfi -i testsrc2=size=320x240:rate=25 -t 6 \
  -c:v libx264 -preset veryfast -g 25 -b:v 200k -pix_fmt yuv420p \
  -mpegts_pmt_start_pid 0x1200 -mpegts_start_pid 0x200 -mpegts_service_id 2 -f mpegts partB.ts
$TF/python - <<'PY'
import threefive.encode as e
# scte35inject writes its output in chunks of 530 packets and drops the last partial chunk:
# pad each input with null packets (PID 0x1fff) to a whole number of chunks.
null = b"\x47\x1f\xff\x10" + b"\xff" * 184
for name in ("partA.ts", "partB.ts"):
    data = open(name, "rb").read()
    n = len(data) // 188
    pad = (-n) % 530
    open(name, "wb").write(data + null * pad)
a = [(2.5, e.mk_splice_insert(101, 4.0, 6.0, True)), (4.0, e.mk_time_signal(5.0))]
b = [(2.5, e.mk_splice_null()), (4.0, e.mk_splice_insert(101, 5.0, None, False))]
for name, cues in (("sidecarA.txt", a), ("sidecarB.txt", b)):
    with open(name, "w") as f:
        for pts, c in cues:
            f.write(f"{pts},{c.encode()}\n")
PY
# scte35inject blanks the sidecar file after reading it: keep copies.
cp sidecarA.txt sidecarA.in; cp sidecarB.txt sidecarB.in
$TF/scte35inject -i partA.ts -o injA.ts -s sidecarA.txt -p 0x86
$TF/scte35inject -i partB.ts -o injB.ts -s sidecarB.txt -p 0x87
cat injA.ts injB.ts > scte35.ts
# The cue list, from threefive's own parse of the result: the PTS of the program when the cue
# packet appears, the SCTE-35 PID, the command, its splice time, and the cue in base64.
$TF/python - <<'PY' > scte35.cues.csv
from threefive import Stream
print("packet_pts,pid,command,splice_pts,cue")
def show(cue):
    d = cue.packet_data
    name = cue.command.name.lower().replace(" ", "_")
    t = getattr(cue.command, "pts_time", None)
    t = "" if t is None else f"{t:.6f}"
    print(f"{d.pts:.6f},{d.pid:#x},{name},{t},{cue.encode()}")
Stream("scte35.ts").decode(func=show)
PY
cp scte35.ts scte35.cues.csv "$OUT"/
