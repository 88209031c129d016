// A loopback server that answers like an app with a queued generation API (the shape of
// ComfyUI's, `server.py` at v0.3.x): POST /prompt queues a job and answers its prompt_id,
// GET /history/<id> answers {} until the job is done and then its status and outputs, and
// GET /view?filename=&subfolder=&type= sends the image. Switches make it fail in the ways
// such an app does. It records every request.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeGraphOptions {
  /** How many /history requests answer {} before the job shows up as done (Infinity: never). */
  pendingPolls?: number;
  /** POST /prompt answers node_errors (the graph was refused). */
  refuse?: boolean;
  /** The job ends with status_str "error" instead of success. */
  executionError?: boolean;
  /** POST /prompt answers without a prompt_id. */
  noPromptId?: boolean;
  png?: Buffer;
}

export interface FakeGraphApi {
  port: number;
  /** "METHOD path" of every request, in order, and the JSON bodies posted. */
  requests: string[];
  bodies: unknown[];
  close(): Promise<void>;
}

const PROMPT_ID = "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0";

function history(o: FakeGraphOptions): unknown {
  if (o.executionError) {
    const messages = [["execution_error", { node_id: "3", exception_message: "CUDA out of memory" }]];
    return { [PROMPT_ID]: { status: { status_str: "error", completed: false, messages }, outputs: {} } };
  }
  const images = [{ filename: "greenbundle-verify_00001_.png", subfolder: "verify run", type: "output" }];
  return { [PROMPT_ID]: { status: { status_str: "success", completed: true, messages: [] }, outputs: { "7": { text: ["x"] }, "9": { images } } } };
}

export async function startFakeGraphApi(o: FakeGraphOptions = {}, port = 0): Promise<FakeGraphApi> {
  const requests: string[] = [];
  const bodies: unknown[] = [];
  let polls = 0;
  const server: Server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (d: Buffer) => parts.push(d));
    req.on("end", () => {
      requests.push(`${req.method} ${req.url}`);
      const json = (status: number, v: unknown) => res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(v));
      const url = new URL(req.url!, "http://x");
      if (req.method === "POST") bodies.push(parts.length ? JSON.parse(Buffer.concat(parts).toString("utf8")) : undefined);
      if (url.pathname === "/system_stats") return json(200, { devices: [{ name: "cpu", type: "cpu", vram_total: 0, vram_free: 0 }] });
      if (req.method === "POST" && url.pathname === "/prompt") {
        if (o.refuse) return json(400, { error: { type: "prompt_outputs_failed_validation" }, node_errors: { "4": { errors: [{ message: "Value not in list" }] } } });
        if (o.noPromptId) return json(200, { number: 0, node_errors: {} });
        return json(200, { prompt_id: PROMPT_ID, number: 0, node_errors: {} });
      }
      if (req.method === "POST" && url.pathname === "/echo") return json(200, bodies.at(-1));
      if (url.pathname === `/history/${PROMPT_ID}`) return json(200, polls++ < (o.pendingPolls ?? 2) ? {} : history(o));
      if (url.pathname === "/view" && url.searchParams.get("filename") === "greenbundle-verify_00001_.png" && url.searchParams.get("subfolder") === "verify run" && url.searchParams.get("type") === "output") {
        return res.writeHead(200, { "content-type": "image/png" }).end(o.png ?? Buffer.from("PNG"));
      }
      json(404, { error: `no route ${req.method} ${req.url}` });
    });
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    bodies,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export { PROMPT_ID };
