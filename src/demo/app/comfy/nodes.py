"""The built-in nodes of the ComfyUI stand-in: the classes and inputs of ComfyUI's own
text-to-image nodes (ComfyUI nodes.py at v0.3.64), with a CPU "diffusion" behind them.

Each class declares INPUT_TYPES (required inputs: a type name such as "INT" or "CLIP", or a list
of allowed values), RETURN_TYPES, FUNCTION and, for nodes that save results, OUTPUT_NODE. The
server validates graphs against these declarations exactly as ComfyUI does.
"""

import hashlib
import json
import os
import re

import painter

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKPOINT_MAGIC = b"GBDEMO-CHECKPOINT-1\n"
# ComfyUI folder_paths.py: the file endings it lists as models
MODEL_EXTENSIONS = (".ckpt", ".pt", ".pt2", ".bin", ".pth", ".safetensors", ".pkl", ".sft")
SAMPLERS = ["euler", "euler_ancestral", "heun", "dpm_2", "lms", "dpmpp_2m", "dpmpp_sde", "ddim", "uni_pc"]
SCHEDULERS = ["simple", "sgm_uniform", "karras", "exponential", "ddim_uniform", "beta", "normal"]
VARIANT = os.environ.get("GREENBUNDLE_DEMO_VARIANT", "")


def models_dir():
    return os.path.join(HERE, "models")


def output_dir():
    return os.path.join(HERE, "output")


def checkpoint_names():
    """Paths relative to models/checkpoints, with os.sep, sorted: how ComfyUI lists them."""
    root = os.path.join(models_dir(), "checkpoints")
    if VARIANT == "comfy-no-checkpoints":
        return []  # as when the models folder is not where the app looks
    names = []
    for folder, _dirs, files in os.walk(root, followlinks=True):
        for f in files:
            if f.lower().endswith(MODEL_EXTENSIONS):
                names.append(os.path.relpath(os.path.join(folder, f), root))
    return sorted(names)


class CheckpointLoaderSimple:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"ckpt_name": (checkpoint_names(),)}}

    RETURN_TYPES = ("MODEL", "CLIP", "VAE")
    FUNCTION = "load_checkpoint"

    def load_checkpoint(self, ckpt_name):
        path = os.path.join(models_dir(), "checkpoints", ckpt_name)
        with open(path, "rb") as f:
            data = f.read()
        if not data.startswith(CHECKPOINT_MAGIC):
            raise RuntimeError(f"Error while checking the checkpoint {ckpt_name}: not a greenbundle demo checkpoint")
        sha = hashlib.sha256(data).hexdigest()
        model = {"name": ckpt_name, "sha256": sha}
        return (model, {"model": model}, {"model": model})


class CLIPTextEncode:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"text": ("STRING", {"multiline": True}), "clip": ("CLIP",)}}

    RETURN_TYPES = ("CONDITIONING",)
    FUNCTION = "encode"

    def encode(self, clip, text):
        return ({"text": text, "model": clip["model"]["sha256"]},)


class EmptyLatentImage:
    @classmethod
    def INPUT_TYPES(cls):
        size = {"default": 512, "min": 16, "max": 16384, "step": 8}
        return {"required": {"width": ("INT", size), "height": ("INT", size), "batch_size": ("INT", {"default": 1, "min": 1, "max": 4096})}}

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "generate"

    def generate(self, width, height, batch_size=1):
        return ({"width": width, "height": height, "batch_size": batch_size},)


class KSampler:
    @classmethod
    def INPUT_TYPES(cls):
        return {
            "required": {
                "model": ("MODEL",),
                "seed": ("INT", {"default": 0, "min": 0, "max": 0xFFFFFFFFFFFFFFFF}),
                "steps": ("INT", {"default": 20, "min": 1, "max": 10000}),
                "cfg": ("FLOAT", {"default": 8.0, "min": 0.0, "max": 100.0}),
                "sampler_name": (SAMPLERS,),
                "scheduler": (SCHEDULERS,),
                "positive": ("CONDITIONING",),
                "negative": ("CONDITIONING",),
                "latent_image": ("LATENT",),
                "denoise": ("FLOAT", {"default": 1.0, "min": 0.0, "max": 1.0}),
            }
        }

    RETURN_TYPES = ("LATENT",)
    FUNCTION = "sample"

    def sample(self, model, seed, steps, cfg, sampler_name, scheduler, positive, negative, latent_image, denoise=1.0):
        if VARIANT == "comfy-exec-error":
            # what a sampler says when the GPU runs out of memory half way
            raise RuntimeError("CUDA error: out of memory (greenbundle demo variant comfy-exec-error)")
        w, h = latent_image["width"], latent_image["height"]
        prompt = f"{positive['text']}\0{negative['text']}\0{sampler_name}\0{scheduler}\0{cfg}"
        rows = painter.paint(prompt, seed, steps, w, h, model["sha256"])
        return ({"width": w, "height": h, "rows": rows},)


class VAEDecode:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"samples": ("LATENT",), "vae": ("VAE",)}}

    RETURN_TYPES = ("IMAGE",)
    FUNCTION = "decode"

    def decode(self, vae, samples):
        return ({"width": samples["width"], "height": samples["height"], "rows": samples["rows"]},)


def next_counter(folder, prefix):
    """ComfyUI folder_paths.get_save_image_path: one more than the highest <prefix>_NNNNN_ there."""
    pattern = re.compile(re.escape(prefix) + r"_(\d{5})_")
    taken = [int(m.group(1)) for f in (os.listdir(folder) if os.path.isdir(folder) else []) for m in [pattern.match(f)] if m]
    return max(taken, default=0) + 1


class SaveImage:
    @classmethod
    def INPUT_TYPES(cls):
        return {"required": {"images": ("IMAGE",), "filename_prefix": ("STRING", {"default": "ComfyUI"})}}

    RETURN_TYPES = ()
    FUNCTION = "save_images"
    OUTPUT_NODE = True

    def save_images(self, images, filename_prefix="ComfyUI", prompt=None):
        subfolder, prefix = os.path.split(os.path.normpath(filename_prefix))
        folder = os.path.join(output_dir(), subfolder)
        if os.path.commonpath([output_dir(), os.path.abspath(folder)]) != output_dir():
            raise ValueError(f"Saving image outside the output folder is not allowed: {filename_prefix}")
        os.makedirs(folder, exist_ok=True)
        name = f"{prefix}_{next_counter(folder, prefix):05}_.png"
        data = painter.png(images["rows"], images["width"], images["height"], json.dumps(prompt) if prompt else None)
        with open(os.path.join(folder, name), "wb") as f:
            f.write(data)
        return {"ui": {"images": [{"filename": name, "subfolder": subfolder, "type": "output"}]}}


NODE_CLASS_MAPPINGS = {
    "CheckpointLoaderSimple": CheckpointLoaderSimple,
    "CLIPTextEncode": CLIPTextEncode,
    "EmptyLatentImage": EmptyLatentImage,
    "KSampler": KSampler,
    "VAEDecode": VAEDecode,
    "SaveImage": SaveImage,
}
