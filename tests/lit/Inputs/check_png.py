"""Decodes an 8-bit, non-interlaced gray or RGB PNG with the standard library (all five row
filters) and compares its pixels with make_png.py's gradient, or prints its size.

usage: check_png.py FILE.png gradient | size
       check_png.py FILE.png heat ATTENTION.npy TOKEN PREFIX ROWS COLS
The heat mode reads an f32 attention map [B, heads, queries, keys] (little-endian .npy),
averages query row TOKEN of batch 0 over the heads, and says whether the picture is warmest
(by hue) at the center of the cell with the most attention and coolest at the least.
"""
import colorsys
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


def read_f32_npy(path):
    data = open(path, "rb").read()
    assert data[:6] == b"\x93NUMPY", "not a .npy"
    (hlen,) = struct.unpack("<H", data[8:10])
    header = data[10:10 + hlen].decode()
    assert "'<f4'" in header and "False" in header, header
    shape = tuple(int(v) for v in header.split("(")[1].split(")")[0].split(",") if v.strip())
    count = 1
    for n in shape:
        count *= n
    return shape, struct.unpack(f"<{count}f", data[10 + hlen:10 + hlen + 4 * count])


def heat(width, height, channels, rows, npy, token, prefix, grid_rows, grid_cols):
    shape, values = read_f32_npy(npy)
    heads, queries, keys = shape[-3], shape[-2], shape[-1]
    cells = [sum(values[(h * queries + token) * keys + prefix + i] for h in range(heads)) / heads
             for i in range(grid_rows * grid_cols)]

    def warmth(cell):
        # Blending with gray keeps a color's hue, and the ramp's hue falls from blue (2/3) to
        # red (0) as the value grows.
        r, c = divmod(cell, grid_cols)
        x = int((c + 0.5) * width / grid_cols)
        y = int((r + 0.5) * height / grid_rows)
        pixel = [rows[y][x * channels + k] / 255 for k in range(3)]
        return -round(colorsys.rgb_to_hsv(*pixel)[0], 2)

    hot, cold = cells.index(max(cells)), cells.index(min(cells))
    warm = [warmth(i) for i in range(len(cells))]
    print(f"heat map {width}x{height}: hottest cell {'is' if warm[hot] == max(warm) else 'is not'}"
          f" the warmest, coldest cell {'is' if warm[cold] == min(warm) else 'is not'} the coolest")


def main():
    width, height, channels, rows = decode(sys.argv[1])
    if sys.argv[2] == "heat":
        heat(width, height, channels, rows, sys.argv[3], *map(int, sys.argv[4:8]))
        return
    if sys.argv[2] == "size":
        print(f"png {width}x{height}x{channels}")
        return
    bad = sum(rows[y][x * channels + c] != (x * 7 + y * 13 + c * 50) % 256
              for y in range(height) for x in range(width) for c in range(channels))
    print(f"png {width}x{height}x{channels}: {bad} pixels differ from the gradient")


if __name__ == "__main__":
    main()
