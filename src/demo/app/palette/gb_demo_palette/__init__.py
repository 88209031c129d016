"""Colour palettes for the greenbundle demo app.

Installed from a wheel into the bundle's site-packages: when the stand-in app can import this
module, the bundled interpreter finds its own site-packages from wherever the bundle was unzipped.
"""

__version__ = "1.0.0"

PALETTES = [
    [(38, 70, 83), (42, 157, 143), (233, 196, 106), (244, 162, 97), (231, 111, 81)],
    [(13, 27, 42), (27, 38, 59), (65, 90, 119), (119, 141, 169), (224, 225, 221)],
    [(255, 190, 11), (251, 86, 7), (255, 0, 110), (131, 56, 236), (58, 134, 255)],
    [(0, 48, 73), (214, 40, 40), (247, 127, 0), (252, 191, 73), (234, 226, 183)],
    [(34, 87, 122), (56, 163, 165), (87, 204, 153), (128, 237, 153), (199, 249, 204)],
    [(112, 41, 99), (183, 75, 117), (241, 145, 143), (255, 211, 182), (255, 245, 224)],
]


def pick(n):
    """The palette for a seed-derived number (any int)."""
    return PALETTES[n % len(PALETTES)]
