// The verify driver's steps as data, run against a loopback app whose API queues the work
// (POST /prompt → poll GET /history/<id> → GET /view?…): polling until a condition holds, values
// captured from one answer and used in later paths and bodies, answers that say the work failed,
// a poll that never completes. Last, the same job through the real driver process.
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import { request } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import type { DriverJob, DriverResult, DriverStep } from "../../src/verify/driver-job.ts";
import { runSteps, stepProblems, valueAt, type HttpCall } from "../../src/verify/driver-steps.ts";
import { driverEntry } from "../../src/verify/boot.ts";
import { tempDir } from "../helpers/tmp.ts";
import { PROMPT_ID, startFakeGraphApi, type FakeGraphApi, type FakeGraphOptions } from "./fake-graph-api.ts";

let api: FakeGraphApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

function callTo(port: number): HttpCall {
  return (method, path, body, timeoutMs) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      const req = request({ host: "127.0.0.1", port, method, path, headers: payload ? { "content-type": "application/json" } : {} }, (res) => {
        const parts: Buffer[] = [];
        res.on("data", (d: Buffer) => parts.push(d));
        res.on("end", () => resolve({ status: res.statusCode!, body: Buffer.concat(parts) }));
      });
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${Math.round(timeoutMs / 1000)} s`)));
      req.on("error", reject);
      req.end(payload);
    });
}

/** The steps an entry for such an API would plan (only its paths and answers matter here). */
function graphSteps(dir: string, timeoutMs = 5000): DriverStep[] {
  const job = ["{prompt_id}"];
  return [
    {
      name: "prompt",
      method: "POST",
      path: "/prompt",
      body: { prompt: { "3": { class_type: "KSampler", inputs: { seed: 42 } } }, client_id: "c-1" },
      timeoutMs,
      save: join(dir, "prompt.answer"),
      failWhen: [
        { when: { path: ["node_errors"], present: true }, error: "the app refused the graph", quote: ["node_errors"] },
        { when: { path: ["error"], present: true }, error: "the app refused the prompt", quote: ["error"] },
      ],
      capture: { prompt_id: ["prompt_id"] },
    },
    {
      name: "history",
      method: "GET",
      path: "/history/{prompt_id}",
      timeoutMs,
      save: join(dir, "history.answer"),
      poll: { until: { path: [...job, "status", "completed"], equals: true }, everyMs: 50 },
      failWhen: [{ when: { path: [...job, "status", "status_str"], equals: "error" }, error: "the generation failed", quote: [...job, "status", "messages"] }],
      capture: {
        filename: [...job, "outputs", "*", "images", 0, "filename"],
        subfolder: [...job, "outputs", "*", "images", 0, "subfolder"],
        type: [...job, "outputs", "*", "images", 0, "type"],
      },
    },
    { name: "view", method: "GET", path: "/view?filename={filename}&subfolder={subfolder}&type={type}", timeoutMs, save: join(dir, "view.answer") },
  ];
}

async function run(o: FakeGraphOptions, timeoutMs?: number) {
  const dir = await tempDir("gb-steps-");
  api = await startFakeGraphApi({ png: Buffer.from("\x89PNG fake", "latin1"), ...o });
  const results = await runSteps(graphSteps(dir, timeoutMs), callTo(api.port));
  return { dir, results, byName: Object.fromEntries(results.map((r) => [r.name, r])) };
}

describe("driver steps", () => {
  it("post, poll until done, then fetch the output named by the earlier answers", async () => {
    const { dir, results, byName } = await run({ pendingPolls: 2 });
    expect(results.map((r) => [r.name, r.ok])).toEqual([["prompt", true], ["history", true], ["view", true]]);
    expect(byName.prompt!.values).toEqual({ prompt_id: PROMPT_ID });
    expect(byName.history!.requests).toBe(3);
    expect(byName.history!.values).toEqual({ filename: "greenbundle-verify_00001_.png", subfolder: "verify run", type: "output" });
    expect(api!.requests).toEqual([
      "POST /prompt",
      `GET /history/${PROMPT_ID}`,
      `GET /history/${PROMPT_ID}`,
      `GET /history/${PROMPT_ID}`,
      "GET /view?filename=greenbundle-verify_00001_.png&subfolder=verify%20run&type=output",
    ]);
    expect((await readFile(join(dir, "view.answer"), "latin1"))).toBe("\x89PNG fake");
  });

  it("fails a poll that never completes when its time is up, saying what it waited for and the last answer", async () => {
    const { results, byName } = await run({ pendingPolls: Infinity }, 1000);
    expect(results.map((r) => r.name)).toEqual(["prompt", "history"]);
    expect(byName.history!.ok).toBe(false);
    expect(byName.history!.error).toMatch(new RegExp(`^${PROMPT_ID}\\.status\\.completed == true did not hold within 1 s \\(\\d+ answer\\(s\\); the last: \\{\\}\\)$`));
    expect(byName.history!.requests).toBeGreaterThan(3);
  });

  it("fails at once, quoting the app, when it refuses the work (even with an error status)", async () => {
    const { results, byName } = await run({ refuse: true });
    expect(results).toHaveLength(1);
    expect(byName.prompt).toMatchObject({ ok: false, status: 400, error: 'the app refused the graph: {"4":{"errors":[{"message":"Value not in list"}]}}' });
  });

  it("stops polling when the answer says the work failed, quoting its messages", async () => {
    const { byName } = await run({ executionError: true });
    expect(byName.history).toMatchObject({ ok: false, requests: 3 });
    expect(byName.history!.error).toBe('the generation failed: [["execution_error",{"node_id":"3","exception_message":"CUDA out of memory"}]]');
  });

  it("fails a step whose answer lacks a value it must capture", async () => {
    const { results, byName } = await run({ noPromptId: true });
    expect(results).toHaveLength(1);
    expect(byName.prompt!.error).toBe("the answer has no prompt_id (for prompt_id)");
  });

  it("puts captured values into later bodies where asked, and leaves the body's own text alone", async () => {
    const dir = await tempDir("gb-steps-");
    api = await startFakeGraphApi();
    const steps = graphSteps(dir).slice(0, 1);
    steps.push({ name: "echo", method: "POST", path: "/echo", body: { id: { $value: "prompt_id" }, list: [{ $value: "prompt_id" }], prompt: "a {prompt_id} in braces" }, timeoutMs: 5000, save: join(dir, "echo.answer") });
    const results = await runSteps(steps, callTo(api.port));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(api.bodies.at(-1)).toEqual({ id: PROMPT_ID, list: [PROMPT_ID], prompt: "a {prompt_id} in braces" });
  });

  it("finds values under '*' in the first member that has the rest of the path", () => {
    const answer = { outputs: { "7": { text: ["x"] }, "9": { images: [{ filename: "a.png" }] } } };
    expect(valueAt(answer, ["outputs", "*", "images", 0, "filename"])).toBe("a.png");
    expect(valueAt(answer, ["outputs", "*", "images", 1, "filename"])).toBeUndefined();
    expect(valueAt([1, [2, 3]], [1, 0])).toBe(2);
  });

  it("are checked before they run: a value used before a step captures it, or a name used twice", () => {
    const dir = "/nowhere";
    expect(stepProblems(graphSteps(dir))).toEqual([]);
    const [prompt, history, view] = graphSteps(dir);
    expect(stepProblems([history!, prompt!, { ...view!, name: "prompt" }])).toEqual(['step history uses "prompt_id" before any step captures it', "two steps are named prompt"]);
    expect(stepProblems([{ ...prompt!, body: { id: { $value: "seed" } } }])).toEqual(['step prompt uses "seed" before any step captures it']);
  });
});

describe("the verify driver process", () => {
  it("runs a polling job it reads from JSON against the app its launcher started, then stops the app by signal", async () => {
    const dir = await tempDir("gb-driver-");
    const main = fileURLToPath(new URL("./fake-graph-api-main.ts", import.meta.url));
    const launcher = join(dir, "launcher");
    await writeFile(launcher, `#!/bin/sh\nwhile [ $# -gt 0 ]; do case "$1" in --port) port=$2; shift;; esac; shift; done\nexec "${process.execPath}" "${main}" --port "$port"\n`, { mode: 0o755 });
    const job: DriverJob = {
      launcher,
      args: ["--no-browser"],
      cwd: dir,
      env: { FAKE_PENDING_POLLS: "3" },
      ready: { path: "/system_stats", timeoutMs: 30_000 },
      steps: graphSteps(dir, 30_000),
      stop: { graceMs: 5000 },
      guard: "none",
      log: join(dir, "app.log"),
      result: join(dir, "result.json"),
    };
    await writeFile(join(dir, "job.json"), JSON.stringify(job));
    const code = await new Promise<number | null>((resolve) => {
      const p = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", driverEntry(), join(dir, "job.json")], { stdio: "ignore" });
      p.once("exit", resolve);
    });
    expect(code).toBe(0);
    const r = JSON.parse(await readFile(job.result, "utf8")) as DriverResult;
    expect(r.error).toBeUndefined();
    expect(r.readyMs).not.toBeNull();
    expect(r.steps.map((s) => [s.name, s.ok, s.requests])).toEqual([["prompt", true, 1], ["history", true, 4], ["view", true, 1]]);
    expect((await readFile(join(dir, "view.answer"))).subarray(1, 4).toString()).toBe("PNG");
    expect(r.stop).toMatchObject({ method: "signal", escalation: [] });
    expect(r.leftovers).toEqual([]);
    expect(r.portClosed).toBe(true);
  }, 60_000);
});
