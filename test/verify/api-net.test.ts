import { request } from "node:http";
import { connect } from "node:net";
import { describe, expect, it } from "vitest";
import type { BundleJson } from "../../src/contract/bundle-json.ts";
import { a1111Plan, readMemory, readTxt2img } from "../../src/verify/a1111.ts";
import { describeAttempt, parseDnsQuery, startRefusingProxy } from "../../src/verify/netguard.ts";
import { encodePng, pattern } from "./png-fixtures.ts";

const bj = (command: string[], verify?: BundleJson["verify"]) =>
  ({ launcher: { command, ready: "/sdapi/v1/sd-models" }, ...(verify ? { verify } : {}) }) as unknown as BundleJson;

describe("the A1111 API plan", () => {
  it("sends the recipe's txt2img request and stops through server-stop only when the command enables it", () => {
    const verify = { api: "a1111" as const, txt2img: { prompt: "a cute cat", steps: 20, width: 512, height: 512, seed: 42 }, timeout: 900, allow_changes: [] };
    const p = a1111Plan(bj(["{python}", "launch.py", "--api", "--api-server-stop"], verify), 5000);
    expect(p.steps.map((s) => `${s.method} ${s.path}`)).toEqual(["POST /sdapi/v1/txt2img", "GET /sdapi/v1/memory"]);
    expect(p.steps[0]!.body).toEqual(verify.txt2img);
    expect(p.stop).toEqual({ method: "POST", path: "/sdapi/v1/server-stop" });
    expect(a1111Plan(bj(["{python}", "launch.py", "--api"]), 5000).stop).toBeUndefined();
  });

  it("reads the base64 PNG and the info string of a txt2img answer", () => {
    const png = encodePng({ width: 4, height: 4, colorType: 2, bitDepth: 8, samples: pattern(4, 4) });
    const a = readTxt2img(Buffer.from(JSON.stringify({ images: [png.toString("base64")], parameters: {}, info: JSON.stringify({ seed: 42 }) })));
    expect(a).toEqual({ png, info: { seed: 42 } });
  });

  it("says what is wrong with an answer that holds no image", () => {
    expect(readTxt2img(Buffer.from("<html>502</html>"))).toMatchObject({ error: /did not answer JSON/ });
    expect(readTxt2img(Buffer.from('{"images": []}'))).toMatchObject({ error: /without images\[0\]/ });
    expect(readTxt2img(Buffer.from('{"images": ["%%%"]}'))).toMatchObject({ error: /not base64/ });
  });

  it("tells from /sdapi/v1/memory whether the GPU did the work", () => {
    expect(readMemory(Buffer.from('{"ram": {}, "cuda": {"error": "unavailable"}}'))).toMatchObject({ used: false, detail: "CUDA: unavailable" });
    const gpu = { cuda: { system: { free: 2 * 2 ** 30, total: 24 * 2 ** 30 }, allocated: { current: 0, peak: 3.5 * 2 ** 30 }, active: { peak: 3.5 * 2 ** 30 }, reserved: { peak: 4 * 2 ** 30 } } };
    const m = readMemory(Buffer.from(JSON.stringify(gpu)));
    expect(m.used).toBe(true);
    expect(m.figures).toMatchObject({ totalGiB: 24, allocatedPeakGiB: 3.5, reservedPeakGiB: 4 });
    expect(m.detail).toBe("CUDA peak allocation 3.5 GiB of 24 GiB");
  });
});

describe("recording network attempts", () => {
  it("reads the name of a DNS query and answers REFUSED to it", () => {
    const q = Buffer.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 11, ...Buffer.from("huggingface"), 2, ...Buffer.from("co"), 0, 0, 1, 0, 1]);
    const r = parseDnsQuery(q)!;
    expect(r.name).toBe("huggingface.co");
    expect([...r.refused.subarray(0, 4)]).toEqual([0x12, 0x34, 0x81, 0x85]);
    expect(r.refused.subarray(12)).toEqual(q.subarray(12));
    expect(parseDnsQuery(Buffer.from([1, 2, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1]))).toBeUndefined();
  });

  it("refuses and records plain and CONNECT requests through the fallback proxy", async () => {
    const g = await startRefusingProxy();
    const port = Number(new URL(g.env.HTTP_PROXY!).port);
    const status = await new Promise<number>((resolve) => {
      request({ host: "127.0.0.1", port, path: "http://pypi.org/simple/torch/", headers: { host: "pypi.org" } }, (res) => (res.resume(), resolve(res.statusCode!))).end();
    });
    expect(status).toBe(403);
    const line = await new Promise<string>((resolve) => {
      const s = connect(port, "127.0.0.1", () => s.write("CONNECT huggingface.co:443 HTTP/1.1\r\nHost: huggingface.co:443\r\n\r\n"));
      s.once("data", (d) => (s.destroy(), resolve(d.toString().split("\r\n")[0]!)));
    });
    expect(line).toBe("HTTP/1.1 403 Forbidden");
    expect(g.attempts.map(describeAttempt)).toEqual(["request through the proxy to http://pypi.org/simple/torch/", "request through the proxy to huggingface.co:443"]);
    expect(g.env.NO_PROXY).toBe("127.0.0.1,localhost,::1");
    await g.close();
  });
});
