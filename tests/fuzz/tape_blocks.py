#!/usr/bin/python3
"""Cut tapes into tape_block_fuzz seeds: each block's payload (zstd ones decompressed with the
zstd program) as a chunk (u8 type, 3 bytes, le32 record_cnt, le32 length, le64 ts_first,
le64 ts_last, payload); one seed per block and one per tape with all its blocks in order.
Usage: tape_blocks.py OUT_DIR TAPE..."""
import struct
import subprocess
import sys
from pathlib import Path

BLOCK_HDR_SZ, ALIGN, ZSTD = 48, 8, 0x01


def blocks(data):
    if len(data) < 32:
        return
    off = struct.unpack_from("<I", data, 12)[0]  # the file header's hdr_sz
    while off + BLOCK_HDR_SZ <= len(data) and data[off:off + 4] == b"TTBK":
        btype, flags, hdr_sz, stored, raw, cnt, _seq, t0, t1 = struct.unpack_from(
            "<4xBBHIIIIQQ", data, off)
        payload = data[off + hdr_sz:off + hdr_sz + stored]
        if len(payload) < stored:
            return
        if flags & ZSTD:
            r = subprocess.run(["zstd", "-dc"], input=payload, capture_output=True, check=False)
            if r.returncode:
                return
            payload = r.stdout
        yield btype, cnt, t0, t1, payload
        off += hdr_sz + stored + (ALIGN - stored % ALIGN) % ALIGN


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    for tape in map(Path, sys.argv[2:]):
        whole = b""
        for i, (btype, cnt, t0, t1, payload) in enumerate(blocks(tape.read_bytes())):
            chunk = struct.pack("<B3xIIQQ", btype, cnt, len(payload), t0, t1) + payload
            (out / f"{tape.stem}_{i}").write_bytes(chunk)
            whole += chunk
        if whole:
            (out / f"{tape.stem}_all").write_bytes(whole)


if __name__ == "__main__":
    main()
