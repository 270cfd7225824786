"""Decodes an 8-bit, non-interlaced gray or RGB PNG with the standard library (all five row
filters) and compares its pixels with make_png.py's gradient, or prints its size.

usage: check_png.py FILE.png gradient | size
"""
import struct
import sys
import zlib


def decode(path):
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    width, height, bits, color, _, _, interlace = header
    assert bits == 8 and color in (0, 2) and interlace == 0, header
    channels = 3 if color == 2 else 1
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, channels, rows


def main():
    width, height, channels, rows = decode(sys.argv[1])
    if sys.argv[2] == "size":
        print(f"png {width}x{height}x{channels}")
        return
    bad = sum(rows[y][x * channels + c] != (x * 7 + y * 13 + c * 50) % 256
              for y in range(height) for x in range(width) for c in range(channels))
    print(f"png {width}x{height}x{channels}: {bad} pixels differ from the gradient")


if __name__ == "__main__":
    main()
