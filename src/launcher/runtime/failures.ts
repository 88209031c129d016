// Common failures recognised in the app's output, each with the
// message that explains it. Pure: one line in, at most one failure out.

import type { MsgKey } from "./i18n.ts";

export type FailureKind = "oom" | "vcredist" | "port" | "module";

export interface Failure {
  kind: FailureKind;
  key: MsgKey;
  params: Record<string, string>;
}

const RULES: { kind: FailureKind; key: MsgKey; re: RegExp }[] = [
  // torch: "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate ..." (older: RuntimeError).
  { kind: "oom", key: "failOom", re: /CUDA out of memory|OutOfMemoryError|CUBLAS_STATUS_ALLOC_FAILED/i },
  // torch on Windows without the VC++ runtime: "OSError: [WinError 126] ... c10.dll" or
  // "[WinError 1114] A dynamic link library (DLL) initialization routine failed".
  { kind: "vcredist", key: "failVcRedist", re: /msvcp140\.dll|vcruntime140(?:_1)?\.dll|c10\.dll|WinError 126|WinError 1114/i },
  // Linux errno 98, Windows WSAEADDRINUSE 10048 and its English text.
  { kind: "port", key: "failPort", re: /address already in use|Errno 98\b|Errno 10048|WinError 10048|only one usage of each socket address/i },
  { kind: "module", key: "failModule", re: /ModuleNotFoundError: No module named '([^']+)'/ },
];

export function recognise(line: string): Failure | undefined {
  for (const r of RULES) {
    const m = r.re.exec(line);
    if (m) return { kind: r.kind, key: r.key, params: r.kind === "module" ? { module: m[1] ?? "?" } : {} };
  }
  return undefined;
}

/** Splits a stream of text chunks into lines, keeping the unfinished tail (max 64 KiB). */
export class LineSplitter {
  private tail = "";

  push(chunk: string): string[] {
    const text = this.tail + chunk;
    const parts = text.split(/\r\n|\n|\r/);
    this.tail = (parts.pop() ?? "").slice(-65536);
    return parts;
  }

  flush(): string[] {
    const t = this.tail;
    this.tail = "";
    return t ? [t] : [];
  }
}
