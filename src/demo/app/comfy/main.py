"""Stand-in for ComfyUI in greenbundle's demo bundle (Python standard library only).

It speaks the part of ComfyUI's HTTP API that `bundle verify` drives (ComfyUI server.py at
v0.3.64), every route also under /api/:

  GET  /system_stats          system facts and the device ComfyUI runs on (readiness)
  POST /prompt                {"prompt": <graph>, "client_id"} -> {prompt_id, number, node_errors};
                              a graph it refuses -> HTTP 400 {error, node_errors}
  GET  /history[/<id>]        {} until the prompt has run, then {<id>: {prompt, outputs, status}}
  GET  /view?filename=&subfolder=&type=   an image from output/ (or input/, temp/)
  GET  /object_info           the node classes it knows, with their inputs
  GET  /queue                 {queue_running, queue_pending}

Graphs are validated like ComfyUI validates them (execution.py) and run one at a time by a worker
thread, as ComfyUI's prompt queue runs them; images are painted on the CPU. Custom nodes are
loaded at start from custom_nodes/*/__init__.py (NODE_CLASS_MAPPINGS), a failed one reported and
skipped, as ComfyUI does. Checkpoints are listed from models/checkpoints/.

GREENBUNDLE_DEMO_VARIANT selects a misbehaving variant, for greenbundle's negative tests:
  comfy-no-checkpoints  lists no checkpoint, so a graph naming one is refused (node_errors)
  comfy-exec-error      KSampler fails while the prompt runs (an execution_error in the history)
  comfy-never-done      accepts prompts but never finishes one (the history stays {})
"""

import argparse
import importlib.util
import json
import os
import queue
import signal
import sys
import threading
import time
import traceback
import urllib.parse
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import execution
import nodes

VARIANT = os.environ.get("GREENBUNDLE_DEMO_VARIANT", "")
HERE = os.path.dirname(os.path.abspath(__file__))
VERSION = "0.3.64-greenbundle-demo"


def log(*parts):
    print(*parts, flush=True)


def load_custom_nodes():
    """custom_nodes/<name>/__init__.py, each adding its NODE_CLASS_MAPPINGS (ComfyUI nodes.py load_custom_node)."""
    root = os.path.join(HERE, "custom_nodes")
    report = []
    for name in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        init = os.path.join(root, name, "__init__.py")
        if not os.path.isfile(init):
            continue
        t = time.time()
        try:
            spec = importlib.util.spec_from_file_location(f"custom_nodes.{name}", init, submodule_search_locations=[os.path.join(root, name)])
            module = importlib.util.module_from_spec(spec)
            sys.modules[spec.name] = module
            spec.loader.exec_module(module)
            nodes.NODE_CLASS_MAPPINGS.update(getattr(module, "NODE_CLASS_MAPPINGS", {}))
            report.append(f"{time.time() - t:8.1f} seconds: {os.path.join(root, name)}")
        except Exception:
            log(traceback.format_exc())
            log(f"Cannot import {os.path.join(root, name)} module for custom nodes")
            report.append(f"{time.time() - t:8.1f} seconds (IMPORT FAILED): {os.path.join(root, name)}")
    if report:
        log("\nImport times for custom nodes:\n" + "\n".join(report) + "\n")


class PromptQueue:
    """ComfyUI's prompt queue, reduced: one worker, history kept by prompt id."""

    def __init__(self):
        self.items = queue.Queue()
        self.history = {}
        self.number = 0
        self.pending = []
        self.lock = threading.Lock()

    def put(self, number, prompt_id, prompt, extra, outputs):
        with self.lock:
            self.pending.append(prompt_id)
        self.items.put((number, prompt_id, prompt, extra, outputs))

    def worker(self):
        while True:
            number, prompt_id, prompt, extra, outputs = self.items.get()
            started = time.time()
            messages = [["execution_start", {"prompt_id": prompt_id, "timestamp": int(started * 1000)}]]
            if VARIANT == "comfy-never-done":
                for step in range(1, 10**9):
                    log(f"KSampler: step {step}/{prompt.get('3', {}).get('inputs', {}).get('steps', '?')} still sampling (demo variant comfy-never-done)")
                    time.sleep(1)
            try:
                ui, executed = execution.execute(prompt, outputs, prompt_id, log)
                messages.append(["execution_success", {"prompt_id": prompt_id, "timestamp": int(time.time() * 1000)}])
                status = {"status_str": "success", "completed": True, "messages": messages}
                log(f"Prompt executed in {time.time() - started:.2f} seconds")
            except execution.ExecutionFailed as e:
                ui = {}
                messages.append(["execution_error", {**e.data, "timestamp": int(time.time() * 1000)}])
                status = {"status_str": "error", "completed": False, "messages": messages}
                log("!!! Exception during processing !!! " + e.data["exception_message"])
                log("".join(e.data["traceback"]))
            with self.lock:
                self.pending.remove(prompt_id)
                self.history[prompt_id] = {"prompt": [number, prompt_id, prompt, extra, outputs], "outputs": ui, "status": status, "meta": {k: {"node_id": k} for k in ui}}


def system_stats():
    return {
        "system": {"os": os.name, "ram_total": 0, "ram_free": 0, "comfyui_version": VERSION, "python_version": sys.version, "pytorch_version": "none (a stand-in that paints on the CPU)", "embedded_python": False, "argv": sys.argv},
        "devices": [{"name": "cpu", "type": "cpu", "index": None, "vram_total": 0, "vram_free": 0, "torch_vram_total": 0, "torch_vram_free": 0}],
    }


def object_info():
    out = {}
    for name, klass in nodes.NODE_CLASS_MAPPINGS.items():
        out[name] = {"input": klass.INPUT_TYPES(), "output": list(klass.RETURN_TYPES), "name": name, "output_node": bool(getattr(klass, "OUTPUT_NODE", False))}
    return out


def view_path(query):
    """The file /view names, or an HTTP status: 400 for a bad name, 403 outside the folder, 404 missing."""
    filename = query.get("filename", [""])[0]
    kind = query.get("type", ["output"])[0]
    subfolder = query.get("subfolder", [""])[0]
    base = {"output": nodes.output_dir(), "input": os.path.join(HERE, "input"), "temp": os.path.join(HERE, "temp")}.get(kind)
    if base is None or not filename or filename[0] == "/" or ".." in filename:
        return 400
    folder = os.path.abspath(os.path.join(base, subfolder))
    if os.path.commonpath([os.path.abspath(base), folder]) != os.path.abspath(base):
        return 403
    path = os.path.join(folder, filename)
    return path if os.path.isfile(path) else 404


def handler_for(prompts):
    class Handler(BaseHTTPRequestHandler):
        server_version = "comfyui-standin/1.0"

        def log_message(self, fmt, *a):
            log("%s %s" % (self.address_string(), fmt % a))

        def reply(self, status, body, kind="application/json"):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def route(self):
            url = urllib.parse.urlsplit(self.path)
            path = url.path[4:] if url.path.startswith("/api/") else url.path
            return path, urllib.parse.parse_qs(url.query)

        def do_GET(self):
            path, query = self.route()
            if path == "/system_stats":
                return self.reply(200, system_stats())
            if path == "/object_info":
                return self.reply(200, object_info())
            if path == "/queue":
                with prompts.lock:
                    return self.reply(200, {"queue_running": prompts.pending[:1], "queue_pending": prompts.pending[1:]})
            if path == "/history":
                with prompts.lock:
                    return self.reply(200, prompts.history)
            if path.startswith("/history/"):
                pid = path[len("/history/"):]
                with prompts.lock:
                    return self.reply(200, {pid: prompts.history[pid]} if pid in prompts.history else {})
            if path == "/view":
                found = view_path(query)
                if isinstance(found, int):
                    return self.reply(found, b"", "text/plain")
                with open(found, "rb") as f:
                    return self.reply(200, f.read(), "image/png")
            if path == "/":
                return self.reply(200, b"<!doctype html><title>ComfyUI stand-in</title><h1>greenbundle demo: ComfyUI stand-in</h1><p>POST a graph to /prompt.</p>", "text/html")
            self.reply(404, b"404: Not Found", "text/plain")

        def do_POST(self):
            path, _ = self.route()
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                return self.reply(400, {"error": {"type": "invalid_json", "message": "the body is not JSON", "details": "", "extra_info": {}}, "node_errors": {}})
            if path != "/prompt":
                return self.reply(404, b"404: Not Found", "text/plain")
            log("got prompt")
            if "prompt" not in body:
                return self.reply(400, {"error": {"type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided", "extra_info": {}}, "node_errors": {}})
            prompt = body["prompt"]
            prompt_id = str(body.get("prompt_id", uuid.uuid4()))
            ok, error, outputs, node_errors = execution.validate_prompt(prompt)
            if not ok:
                log(f"invalid prompt: {error}")
                return self.reply(400, {"error": error, "node_errors": node_errors})
            with prompts.lock:
                number = prompts.number
                prompts.number += 1
            extra = {"client_id": body["client_id"]} if "client_id" in body else {}
            prompts.put(number, prompt_id, prompt, extra, outputs)
            self.reply(200, {"prompt_id": prompt_id, "number": number, "node_errors": node_errors})

    return Handler


def main():
    ap = argparse.ArgumentParser(description="greenbundle demo: ComfyUI stand-in")
    ap.add_argument("--listen", nargs="?", const="0.0.0.0", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=8188)
    args, unknown = ap.parse_known_args()
    if unknown:
        log(f"ignoring arguments this stand-in does not know: {' '.join(unknown)}")
    log(f"Python version: {sys.version}")
    log(f"ComfyUI version: {VERSION}")
    # created at start, like ComfyUI's folder_paths and user manager
    for folder in ("input", "output", os.path.join("user", "default")):
        os.makedirs(os.path.join(HERE, folder), exist_ok=True)
    load_custom_nodes()
    log(f"checkpoints: {nodes.checkpoint_names()}")
    prompts = PromptQueue()
    threading.Thread(target=prompts.worker, daemon=True).start()
    server = ThreadingHTTPServer((args.listen, args.port), handler_for(prompts))
    server.daemon_threads = True
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: threading.Thread(target=server.shutdown, daemon=True).start())
    log(f"To see the GUI go to: http://{args.listen}:{args.port}")
    server.serve_forever()
    server.server_close()
    log("Stopped server")


if __name__ == "__main__":
    main()
