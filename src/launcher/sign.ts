// Optional Authenticode signing of the Windows launcher with osslsigncode, when the maintainer
// provides a certificate. No timestamp server is contacted (the build
// needs no network); `time` fixes the signing time so that a signed launcher stays reproducible.

import { execFile } from "node:child_process";
import { rm, stat } from "node:fs/promises";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { BundleError } from "../core/errors.ts";
import { renameRetry, tmpSibling } from "../core/fs.ts";

const run = promisify(execFile);

export interface SignOptions {
  /** Certificate (PEM/DER), or a .pfx/.p12 bundle when `key` is empty. */
  cert: string;
  key: string;
  pass?: string;
  /** Signing time written into the signature (default: now, which makes the output differ per build). */
  time?: Date;
}

export function osslsigncodeArgs(o: SignOptions, description: string, input: string, output: string): string[] {
  const pkcs12 = o.key === "" && /\.(pfx|p12)$/i.test(o.cert);
  const args = ["sign", ...(pkcs12 ? ["-pkcs12", o.cert] : ["-certs", o.cert, "-key", o.key])];
  if (o.pass !== undefined) args.push("-pass", o.pass);
  args.push("-h", "sha256", "-n", description);
  if (o.time) args.push("-time", String(Math.floor(o.time.getTime() / 1000)));
  args.push("-in", input, "-out", output);
  return args;
}

/** Signs `exe` in place (through a temp file). */
export async function signWindowsExe(exe: string, o: SignOptions, description: string, signal?: AbortSignal): Promise<void> {
  const tmp = tmpSibling(exe, "signed");
  try {
    await run("osslsigncode", osslsigncodeArgs(o, description, exe, tmp), { signal, windowsHide: true });
    await renameRetry(tmp, exe);
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === "ENOENT";
    // The password must never reach a message: describe the failure without the command line.
    const stderr = String((cause as { stderr?: string }).stderr ?? "").trim();
    throw new BundleError("BUILD", missing ? "signing the launcher needs osslsigncode, which is not installed" : `signing ${exe} with osslsigncode failed: ${stderr || `exit code ${String((cause as { code?: unknown }).code)}`}`, {
      cause: missing ? cause : undefined,
      hint: missing ? "install osslsigncode (Debian: apt-get install osslsigncode), or build without a signing certificate" : "check the certificate, key and password",
    });
  } finally {
    await rm(tmp, { force: true });
  }
}

/**
 * Signing settings from the environment: BUNDLE_SIGN_CERT (a certificate with BUNDLE_SIGN_KEY, or a
 * .pfx/.p12 alone) and BUNDLE_SIGN_PASS. Secrets stay out of recipes, command lines and logs.
 * Undefined when nothing is set; a usage error (exit 2) when the settings cannot work, so that a
 * build fails before its downloads rather than at its launcher stage.
 */
export async function signingFromEnv(env: NodeJS.ProcessEnv): Promise<Omit<SignOptions, "time"> | undefined> {
  // Absolute, so that osslsigncode finds them whatever folder it runs in.
  const cert = env.BUNDLE_SIGN_CERT?.trim() ? resolve(env.BUNDLE_SIGN_CERT.trim()) : "";
  const key = env.BUNDLE_SIGN_KEY?.trim() ? resolve(env.BUNDLE_SIGN_KEY.trim()) : "";
  if (!cert) {
    if (key) throw new BundleError("USAGE", "BUNDLE_SIGN_KEY is set but BUNDLE_SIGN_CERT is not", { hint: "set BUNDLE_SIGN_CERT to the certificate the key belongs to, or unset BUNDLE_SIGN_KEY" });
    return undefined;
  }
  if (!key && !/\.(pfx|p12)$/i.test(cert)) {
    throw new BundleError("USAGE", `BUNDLE_SIGN_CERT=${cert} is not a .pfx/.p12 bundle, so BUNDLE_SIGN_KEY must name its private key`, { hint: "set BUNDLE_SIGN_KEY=<key.pem>, or point BUNDLE_SIGN_CERT at a .pfx" });
  }
  for (const [name, path] of [["BUNDLE_SIGN_CERT", cert], ["BUNDLE_SIGN_KEY", key]] as const) {
    if (!path) continue;
    const s = await stat(path).catch(() => undefined);
    if (!s?.isFile()) throw new BundleError("USAGE", `${name}=${path} is not a file`, { hint: "give the path of the certificate or key file" });
  }
  try {
    await run("osslsigncode", ["--version"], { windowsHide: true });
  } catch (cause) {
    // Only a missing program matters here: whether --version exits 0 differs between versions.
    if ((cause as NodeJS.ErrnoException).code === "ENOENT") {
      throw new BundleError("USAGE", "BUNDLE_SIGN_CERT is set, and signing the launcher needs osslsigncode, which is not installed", { hint: "install osslsigncode (Debian: apt-get install osslsigncode), or unset BUNDLE_SIGN_CERT" });
    }
  }
  return { cert, key, ...(env.BUNDLE_SIGN_PASS !== undefined ? { pass: env.BUNDLE_SIGN_PASS } : {}) };
}
