// Running `bundle demo --app …` as a user does (the real bin, a fresh folder), and verifying its
// bundle again with a misbehaving variant of the stand-in app (GREENBUNDLE_DEMO_VARIANT).
import { spawn } from "node:child_process";
import { join } from "node:path";
import type { VerifyReport } from "../../src/verify/report-types.ts";
import { runCli } from "../helpers/cli.ts";

const BIN = new URL("../../bin/bundle.js", import.meta.url).pathname;

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function bundleCli(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Ran> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...env, NO_COLOR: "1" } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("exit", (code) => resolve({ code, stdout, stderr }));
  });
}

/** `bundle verify` of a built bundle with a variant of its app; the one failed check's detail and items. */
export async function verifyVariant(bundle: string, reports: string, variant: string, extra: string[] = []): Promise<{ code: number; failed: VerifyReport["checks"]; text: string; stderr: string; report: VerifyReport }> {
  const r = await runCli(["verify", bundle, "--report", join(reports, variant), "--json", ...extra], { env: { ...process.env, GREENBUNDLE_DEMO_VARIANT: variant } });
  const report = (JSON.parse(r.stdout) as { report: VerifyReport }).report;
  const failed = report.checks.filter((c) => c.status === "fail");
  return { code: r.code, failed, text: failed.map((f) => `${f.detail}\n${(f.items ?? []).join("\n")}`).join("\n"), stderr: r.stderr, report };
}
