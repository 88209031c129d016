"""Deterministic, colourful pictures on the CPU for the greenbundle demo app (stdlib only).

The same prompt, seed, steps and checkpoint always give the same bytes. Not art: soft blobs on a
gradient, in a palette from the gb_demo_palette wheel, enough colour and structure for
`bundle verify` to tell a real picture from a blank one.
"""

import hashlib
import random
import struct
import zlib

import gb_demo_palette


def _mix(a, b, t):
    return tuple(int(a[i] + (b[i] - a[i]) * t) for i in range(3))


def paint(prompt, seed, steps, width, height, checkpoint_sha):
    """Returns the image as a list of `height` bytearrays of RGB triples."""
    digest = hashlib.sha256(f"{prompt}\0{seed}\0{checkpoint_sha}".encode()).digest()
    rng = random.Random(digest)
    palette = gb_demo_palette.pick(digest[0])
    blobs = []
    for k in range(3 + min(steps, 40) // 8):
        cx, cy = rng.uniform(0, width), rng.uniform(0, height)
        r = rng.uniform(0.15, 0.45) * min(width, height)
        blobs.append((cx, cy, r * r, palette[2 + k % 3]))
    rows = []
    for y in range(height):
        base = _mix(palette[0], palette[1], y / max(1, height - 1))
        row = bytearray(width * 3)
        for x in range(width):
            c = base
            for cx, cy, r2, colour in blobs:
                d2 = (x - cx) ** 2 + (y - cy) ** 2
                if d2 < r2:
                    c = _mix(c, colour, 1.0 - d2 / r2)
            grain = rng.randrange(-6, 7)
            row[x * 3 : x * 3 + 3] = bytes(max(0, min(255, v + grain)) for v in c)
        rows.append(row)
    return rows


def black(width, height):
    """What a NaN in the latents looks like after decoding: nothing at all."""
    return [bytearray(width * 3) for _ in range(height)]


def _chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(rows, width, height, parameters=None):
    """Encodes RGB rows as a PNG (filter type 1, "Sub", on every row, like many encoders pick)."""
    raw = bytearray()
    for row in rows:
        raw.append(1)
        prev = bytes(3)
        for i in range(0, len(row), 3):
            px = row[i : i + 3]
            raw += bytes((px[j] - prev[j]) & 0xFF for j in range(3))
            prev = px
    out = b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
    if parameters:
        out += _chunk(b"tEXt", b"parameters\0" + parameters.encode("latin-1", "replace"))
    out += _chunk(b"IDAT", zlib.compress(bytes(raw), 6)) + _chunk(b"IEND", b"")
    return out
