"""Stand-in for Stability-AI's scripts/txt2img.py in greenbundle's demo (standard library only).

Same command line as the reference script (stablediffusion scripts/txt2img.py at cf1d67a6) for
what matters here — --prompt, --outdir, --steps, --n_iter, --n_samples, --H, --W, --seed, --ckpt
(the rest is accepted and ignored) — and the same output: <outdir>/samples/NNNNN.png, numbered on
from the files already there, then <outdir>/grid-NNNN.png. It imports `painter` from the
repository root, which must be on PYTHONPATH (the reference script needs its `ldm` package the
same way), and reads its "checkpoint" from --ckpt. Pictures are painted on the CPU.

GREENBUNDLE_DEMO_VARIANT selects a misbehaving variant, for greenbundle's negative tests:
  script-fails     stops with an error and exit code 1 (as a CUDA failure does)
  script-no-image  exits 0 without writing any image
"""

import argparse
import hashlib
import os
import sys
import time

import painter

VARIANT = os.environ.get("GREENBUNDLE_DEMO_VARIANT", "")
CHECKPOINT_MAGIC = b"GBDEMO-CHECKPOINT-1\n"


def parse():
    ap = argparse.ArgumentParser(description="greenbundle demo: txt2img script stand-in")
    ap.add_argument("--prompt", default="a professional photograph of an astronaut riding a horse")
    ap.add_argument("--outdir", default="outputs/txt2img-samples")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--n_iter", type=int, default=3)
    ap.add_argument("--n_samples", type=int, default=3)
    ap.add_argument("--H", type=int, default=512)
    ap.add_argument("--W", type=int, default=512)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--ckpt", required=True)
    args, unknown = ap.parse_known_args()
    if unknown:
        print(f"ignoring arguments this stand-in does not use: {' '.join(unknown)}", flush=True)
    return args


def main():
    args = parse()
    print(f"Loading model from {args.ckpt}", flush=True)
    with open(args.ckpt, "rb") as f:
        data = f.read()
    if not data.startswith(CHECKPOINT_MAGIC):
        sys.exit(f"{args.ckpt} is not a greenbundle demo checkpoint")
    sha = hashlib.sha256(data).hexdigest()
    if VARIANT == "script-fails":
        print("Traceback (most recent call last):\n  File \"scripts/txt2img.py\", line 1, in <module>\nRuntimeError: CUDA error: no kernel image is available for execution on the device (demo variant script-fails)", file=sys.stderr, flush=True)
        sys.exit(1)
    samples = os.path.join(args.outdir, "samples")
    os.makedirs(samples, exist_ok=True)
    count = len(os.listdir(samples))
    grid = len([f for f in os.listdir(args.outdir) if f.startswith("grid-")])
    t = time.time()
    last = None
    for i in range(args.n_iter * args.n_samples):
        rows = painter.paint(args.prompt, args.seed + i, args.steps, args.W, args.H, sha)
        last = painter.png(rows, args.W, args.H, f"{args.prompt}\nSteps: {args.steps}, Seed: {args.seed + i}, Size: {args.W}x{args.H}")
        if VARIANT == "script-no-image":
            continue
        with open(os.path.join(samples, f"{count:05}.png"), "wb") as f:
            f.write(last)
        count += 1
    if last is not None and VARIANT != "script-no-image":
        with open(os.path.join(args.outdir, f"grid-{grid:04}.png"), "wb") as f:
            f.write(last)
    print(f"Your samples are ready and waiting for you here:\n{args.outdir}\n\nEnjoy. ({time.time() - t:.2f}s)", flush=True)


if __name__ == "__main__":
    main()
