"""Writes test PNGs with the standard library only (zlib), so the tests need no imaging package.

usage: make_png.py OUT.png WIDTH HEIGHT [--gray] [--bits 16] [--truncate N] [--huge]
Pixels: a deterministic gradient, value (x * 7 + y * 13 + c * 50) % 256.
"""
import argparse
import struct
import zlib


def chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("width", type=int)
    parser.add_argument("height", type=int)
    parser.add_argument("--gray", action="store_true")
    parser.add_argument("--bits", type=int, default=8)
    parser.add_argument("--truncate", type=int, default=0, help="drop this many final bytes")
    parser.add_argument("--huge", action="store_true", help="claim 100000x100000 in the header")
    args = parser.parse_args()
    channels = 1 if args.gray else 3
    color_type = 0 if args.gray else 2
    sample = 2 if args.bits == 16 else 1
    rows = bytearray()
    for y in range(args.height):
        rows.append(0)  # filter: none
        for x in range(args.width):
            for c in range(channels):
                v = (x * 7 + y * 13 + c * 50) % 256
                rows += bytes([v] * sample)
    w, h = (100000, 100000) if args.huge else (args.width, args.height)
    ihdr = struct.pack(">IIBBBBB", w, h, args.bits, color_type, 0, 0, 0)
    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(rows)))
            + chunk(b"IEND", b""))
    if args.truncate:
        data = data[:-args.truncate]
    with open(args.out, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main()
