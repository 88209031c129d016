"""Stand-in for Stable Diffusion WebUI (AUTOMATIC1111) in greenbundle's demo bundle.

Python standard library only. It speaks the part of A1111's HTTP API that `bundle verify` drives:

  GET  /sdapi/v1/sd-models    the checkpoints (answers 200 once the "model" is loaded: readiness)
  POST /sdapi/v1/txt2img      {prompt, seed, steps, width, height} -> {images: [base64 PNG], parameters, info}
  GET  /sdapi/v1/memory       {ram, cuda: {error: "unavailable"}} (this app never uses a GPU)
  POST /sdapi/v1/server-stop  stops the server (only with --api-server-stop, as in A1111)

and renders a deterministic, colourful picture on the CPU. At start it reads its "checkpoint"
(a file fetched by URL into models/Stable-diffusion/), imports gb_demo_palette from the bundle's
site-packages and loads the scripts of every extension under extensions/.

Like A1111 v1.10.1 it writes two things at every start, which the demo recipe allows:
  cache/<name>/cache.db       a diskcache-style SQLite database under the app (A1111 modules/cache.py
                              keeps the checkpoint's sha256 there)
  gb_demo_palette/launches.json  a launch counter inside an installed package's own folder, as
                              gradio 3.41's utils.launch_counter() writes gradio/launches.json

GREENBUNDLE_DEMO_VARIANT selects a misbehaving variant, for greenbundle's negative tests:
  site-packages   writes a file into its own site-packages at start (as a first-launch pip would)
  black           returns an all-black image (as NaN latents or a safety filter do)
  never-ready     keeps answering 503 "loading" on the readiness URL
  network         tries to fetch an update from 203.0.113.1 at start, then carries on
  proxy-port      tries a local-proxy style port (203.0.113.1:7890) directly, then carries on
  one-more-file   also writes cache.json next to app.py (what A1111 before 1.6 kept its hashes in)
"""

import argparse
import base64
import glob
import hashlib
import importlib.util
import json
import os
import signal
import socket
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import gb_demo_palette
import painter

VARIANT = os.environ.get("GREENBUNDLE_DEMO_VARIANT", "")
HERE = os.path.dirname(os.path.abspath(__file__))
CHECKPOINT_MAGIC = b"GBDEMO-CHECKPOINT-1\n"


def log(*parts):
    print(*parts, flush=True)


def load_checkpoint():
    files = sorted(glob.glob(os.path.join(HERE, "models", "Stable-diffusion", "*.ckpt")))
    if not files:
        sys.exit(f"no checkpoint in {os.path.join(HERE, 'models', 'Stable-diffusion')}")
    with open(files[0], "rb") as f:
        data = f.read()
    if not data.startswith(CHECKPOINT_MAGIC):
        sys.exit(f"{files[0]} is not a demo checkpoint")
    sha = hashlib.sha256(data).hexdigest()
    name = os.path.basename(files[0])
    return {"title": f"{name} [{sha[:10]}]", "model_name": name.rsplit(".", 1)[0], "hash": sha[:8], "sha256": sha, "filename": files[0], "config": None}


def load_extensions():
    hooks = []
    for path in sorted(glob.glob(os.path.join(HERE, "extensions", "*", "scripts", "*.py"))):
        spec = importlib.util.spec_from_file_location(f"ext_{len(hooks)}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        if hasattr(module, "postprocess"):
            hooks.append((os.path.relpath(path, HERE), module.postprocess))
    return hooks


def cache_put(name, key, value):
    """diskcache's layout (one SQLite database per cache, in WAL mode, left open as A1111 does)."""
    folder = os.path.join(HERE, "cache", name)
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "cache.db")
    try:
        import sqlite3
    except ImportError:  # a Python built without sqlite: keep the same file name
        with open(path, "a") as f:
            f.write(f"{key}\t{value}\n")
        return None
    con = sqlite3.connect(path, check_same_thread=False)
    con.execute("PRAGMA journal_mode=wal")
    con.execute("CREATE TABLE IF NOT EXISTS Cache (key TEXT PRIMARY KEY, value TEXT)")
    con.execute("INSERT OR REPLACE INTO Cache VALUES (?, ?)", (key, value))
    con.commit()
    return con


def count_launch():
    """gradio 3.41 utils.launch_counter(): launches.json next to the package's __init__.py."""
    path = os.path.join(os.path.dirname(os.path.abspath(gb_demo_palette.__file__)), "launches.json")
    try:
        with open(path) as f:
            launches = json.load(f)["launches"] + 1
    except Exception:
        launches = 1
    with open(path, "w") as f:
        json.dump({"launches": launches}, f)


class App:
    def __init__(self, args):
        self.args = args
        self.model = None
        self.extensions = []
        self.server = None

    def start_up(self):
        t = time.time()
        if VARIANT == "site-packages":
            # the site-packages this app's own dependencies were installed into
            site = os.path.dirname(os.path.dirname(os.path.abspath(gb_demo_palette.__file__)))
            target = os.path.join(site, "demo_downloaded_at_first_launch.py")
            with open(target, "w") as f:
                f.write("# what a first-launch `pip install` leaves behind\n")
            log(f"installed a missing package into {target}")
        if VARIANT == "network":
            try:
                urllib.request.urlopen("http://203.0.113.1/demo/latest-version", timeout=10)
            except Exception as e:  # a real app would also carry on without its update check
                log(f"update check failed: {e}")
        if VARIANT == "proxy-port":
            try:
                socket.create_connection(("203.0.113.1", 7890), timeout=10).close()
            except Exception as e:
                log(f"proxy check failed: {e}")
        if VARIANT == "never-ready":
            return
        self.model = load_checkpoint()
        self.cache = cache_put("hashes", f"checkpoint/{self.model['model_name']}", self.model["sha256"])
        count_launch()
        if VARIANT == "one-more-file":
            with open(os.path.join(HERE, "cache.json"), "w") as f:
                json.dump({"hashes": {self.model["model_name"]: self.model["sha256"]}}, f)
        self.extensions = load_extensions()
        log(f"Loaded {self.model['title']} and {len(self.extensions)} extension script(s) in {time.time() - t:.2f}s")
        log(f"gb_demo_palette {gb_demo_palette.__version__} from {os.path.dirname(gb_demo_palette.__file__)}")

    def txt2img(self, req):
        prompt = str(req.get("prompt", ""))
        seed = int(req.get("seed", -1))
        if seed < 0:
            seed = int(time.time()) % 4294967296
        steps = int(req.get("steps", 20))
        width, height = int(req.get("width", 512)), int(req.get("height", 512))
        if not (8 <= width <= 2048 and 8 <= height <= 2048):
            raise ValueError("width and height must be between 8 and 2048")
        t = time.time()
        if VARIANT == "black":
            rows = painter.black(width, height)
        else:
            rows = painter.paint(prompt, seed, steps, width, height, self.model["sha256"])
            for _, hook in self.extensions:
                rows = hook(rows, width, height)
        params = f"{prompt}\nSteps: {steps}, Sampler: Demo, Seed: {seed}, Size: {width}x{height}, Model hash: {self.model['hash']}, Model: {self.model['model_name']}"
        data = painter.png(rows, width, height, params)
        info = {"prompt": prompt, "seed": seed, "steps": steps, "width": width, "height": height, "sd_model_hash": self.model["hash"], "extensions": [p for p, _ in self.extensions]}
        log(f"txt2img {width}x{height}, {steps} steps, seed {seed}: {time.time() - t:.2f}s")
        return {"images": [base64.b64encode(data).decode()], "parameters": req, "info": json.dumps(info)}


def handler_for(app):
    class Handler(BaseHTTPRequestHandler):
        server_version = "demo-webui/1.0"

        def log_message(self, fmt, *a):
            log("%s %s" % (self.address_string(), fmt % a))

        def reply(self, status, body, kind="application/json"):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path == "/sdapi/v1/sd-models":
                return self.reply(200, [app.model]) if app.model else self.reply(503, {"detail": "loading model"})
            if self.path == "/sdapi/v1/memory":
                return self.reply(200, {"ram": {"total": 0, "used": 0, "free": 0}, "cuda": {"error": "unavailable"}})
            if self.path == "/":
                return self.reply(200, PAGE.encode(), "text/html; charset=utf-8")
            self.reply(404, {"detail": "Not Found"})

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b"{}"
            if self.path == "/sdapi/v1/txt2img" and app.model:
                try:
                    return self.reply(200, app.txt2img(json.loads(body or b"{}")))
                except (ValueError, TypeError) as e:
                    return self.reply(422, {"detail": str(e)})
            if self.path == "/sdapi/v1/server-stop" and app.args.api_server_stop:
                self.reply(200, "Stopping.".encode(), "text/plain")
                threading.Thread(target=app.server.shutdown, daemon=True).start()
                return None
            self.reply(404, {"detail": "Not Found"})

    return Handler


PAGE = """<!doctype html><meta charset="utf-8"><title>Demo WebUI</title>
<h1>greenbundle demo WebUI</h1><p>A stand-in for Stable Diffusion WebUI. Prompt:</p>
<form onsubmit="event.preventDefault();fetch('/sdapi/v1/txt2img',{method:'POST',headers:{'content-type':'application/json'},
body:JSON.stringify({prompt:p.value,seed:42,steps:20,width:384,height:256})}).then(r=>r.json()).then(j=>img.src='data:image/png;base64,'+j.images[0])">
<input id="p" value="a cute cat" size="40"> <button>Generate</button></form><p><img id="img" alt=""></p>"""


def main():
    ap = argparse.ArgumentParser(description="greenbundle demo WebUI (stand-in for A1111)")
    ap.add_argument("--port", type=int, default=7860)
    ap.add_argument("--listen", action="store_true", help="listen on 0.0.0.0 instead of 127.0.0.1")
    ap.add_argument("--api", action="store_true", help="accepted for A1111 compatibility (the API is always on)")
    ap.add_argument("--api-server-stop", action="store_true")
    args, unknown = ap.parse_known_args()
    if unknown:
        log(f"ignoring arguments this stand-in does not know: {' '.join(unknown)}")
    app = App(args)
    app.server = ThreadingHTTPServer(("0.0.0.0" if args.listen else "127.0.0.1", args.port), handler_for(app))
    app.server.daemon_threads = True
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: threading.Thread(target=app.server.shutdown, daemon=True).start())
    log(f"Python {sys.version.split()[0]} at {sys.executable}")
    app.start_up()
    if VARIANT == "never-ready":
        threading.Thread(target=loading_forever, daemon=True).start()
    log(f"Running on local URL:  http://127.0.0.1:{args.port}")
    app.server.serve_forever()
    app.server.server_close()
    log("Server stopped.")


def loading_forever():
    n = 0
    while True:
        n += 1
        log(f"still loading the model ({n} s)...")
        time.sleep(1)


if __name__ == "__main__":
    main()
