"""A demo extension: darkens the corners of every generated picture.

Placed by greenbundle under the app's extensions folder from its own git repository, the way
A1111 extensions are; the app imports every extensions/*/scripts/*.py and calls postprocess().
"""

STRENGTH = 0.35


def postprocess(rows, width, height):
    cx, cy = (width - 1) / 2, (height - 1) / 2
    norm = cx * cx + cy * cy or 1
    for y, row in enumerate(rows):
        dy2 = (y - cy) ** 2
        for x in range(width):
            k = 1.0 - STRENGTH * (((x - cx) ** 2 + dy2) / norm)
            for i in range(x * 3, x * 3 + 3):
                row[i] = int(row[i] * k)
    return rows
