"""A demo custom node for the ComfyUI stand-in: darkens the corners of images.

Placed by greenbundle under ComfyUI/custom_nodes/ from its own git repository, the way custom
nodes are. Its requirements.txt names what it imports (gb-demo-palette), so the build checks that
the bundle's wheels have it — the custom node equivalent of an A1111 extension's requirements.
"""

import gb_demo_palette


class GBDemoVignette:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE",), "strength": ("FLOAT", {"default": 0.35, "min": 0.0, "max": 1.0})}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "vignette"

    def vignette(self, images, strength):
        w, h, rows = images["width"], images["height"], [bytearray(r) for r in images["rows"]]
        cx, cy = (w - 1) / 2, (h - 1) / 2
        norm = cx * cx + cy * cy or 1
        for y, row in enumerate(rows):
            for x in range(w):
                k = 1.0 - strength * (((x - cx) ** 2 + (y - cy) ** 2) / norm)
                for i in range(x * 3, x * 3 + 3):
                    row[i] = int(row[i] * k)
        return ({"width": w, "height": h, "rows": rows},)


NODE_CLASS_MAPPINGS = {"GBDemoVignette": GBDemoVignette}
print(f"gb-demo-nodes: GBDemoVignette, with gb_demo_palette {gb_demo_palette.__version__}", flush=True)
