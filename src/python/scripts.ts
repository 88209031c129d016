// Console-script launchers that keep working after the bundle is moved (pip's console-script .exe
// files keep the build machine's absolute Python path). Nothing written here holds an absolute
// path; the platform's `python.scripts` fact picks the form:
// - "sh" (Linux): a sh/Python polyglot (the trick pip and uv use for relocatable environments): sh
//   runs the interpreter found next to the script's real location; Python reads the sh part as a
//   string literal.
// - "cmd" (Windows): `<name>.cmd` calling `%~dp0..\python.exe` on `<name>-script.py`. We ship no compiled
//   launcher: an .exe would have to be built for Windows, and a .cmd resolves its own folder.

import { posix } from "node:path";
import { PLATFORM_FACTS } from "../core/platform.ts";
import type { EntryPoint } from "./metadata.ts";
import type { Target } from "./target.ts";

export interface ScriptFile {
  /** Path relative to the bundle root ('/'-separated). */
  path: string;
  content: Buffer;
  mode: number;
}

function pythonBody(ep: EntryPoint): string {
  const head = ep.attr ? ep.attr.split(".")[0]! : ep.module.split(".").pop()!;
  const imp = ep.attr ? `from ${ep.module} import ${head}` : `import ${ep.module}`;
  const call = ep.attr ? ep.attr : ep.module;
  return [
    "# -*- coding: utf-8 -*-",
    "import re",
    "import sys",
    imp,
    'if __name__ == "__main__":',
    '    sys.argv[0] = re.sub(r"(-script\\.pyw?|\\.exe|\\.cmd)?$", "", sys.argv[0])',
    `    sys.exit(${call}())`,
    "",
  ].join("\n");
}

/** The first lines of a relocatable Linux script: re-exec with the interpreter beside it. */
export function posixHeader(target: Target): string {
  const rel = posix.relative(target.scheme.scripts, target.python);
  return ["#!/bin/sh", `'''exec' "$(dirname -- "$(realpath -- "$0")")/${rel}" "$0" "$@"`, "' '''", ""].join("\n");
}

function winPython(target: Target, gui: boolean): string {
  const rel = posix.relative(target.scheme.scripts, target.python);
  return (gui ? rel.replace(/python\.exe$/, "pythonw.exe") : rel).replace(/\//g, "\\");
}

/** The files that make one entry point runnable from the target's scripts folder. */
export function entryPointScripts(ep: EntryPoint, target: Target): ScriptFile[] {
  const dir = target.scheme.scripts;
  if (PLATFORM_FACTS[target.platform].python.scripts === "cmd") {
    const script = `${ep.name}-script.${ep.gui ? "pyw" : "py"}`;
    const cmd = ["@echo off", `"%~dp0${winPython(target, ep.gui)}" "%~dp0${script}" %*`, ""].join("\r\n");
    return [
      { path: `${dir}/${script}`, content: Buffer.from(pythonBody(ep)), mode: 0o644 },
      { path: `${dir}/${ep.name}.cmd`, content: Buffer.from(cmd), mode: 0o644 },
    ];
  }
  return [{ path: `${dir}/${ep.name}`, content: Buffer.from(posixHeader(target) + pythonBody(ep)), mode: 0o755 }];
}

/**
 * Scripts shipped in `.data/scripts` whose first line is `#!python` (the wheel spec's placeholder)
 * get the relocatable header where scripts are sh polyglots; elsewhere they are left as they are.
 */
export function rewriteScript(content: Buffer, target: Target): Buffer {
  if (PLATFORM_FACTS[target.platform].python.scripts !== "sh") return content;
  if (!content.subarray(0, 8).equals(Buffer.from("#!python"))) return content;
  const nl = content.indexOf(0x0a);
  const rest = nl < 0 ? Buffer.alloc(0) : content.subarray(nl + 1);
  return Buffer.concat([Buffer.from(posixHeader(target)), rest]);
}
