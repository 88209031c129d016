// PEP 508 dependency specifiers: parse `name[extras] specifiers ; marker` and evaluate markers
// against a target environment given as data (never the running Python).
// Spec: https://peps.python.org/pep-0508/ and the packaging "Dependency specifiers" page.

import { satisfies, valid } from "@renovatebot/pep440";

export interface Requirement {
  /** Name as written. */
  name: string;
  /** PEP 503 normalised name. */
  key: string;
  extras: string[];
  /** Version specifier without spaces, e.g. "==2.1.2,>=1" ("" when none). */
  specifier: string;
  /** Direct reference (`name @ url`), when given. */
  url?: string;
  marker?: MarkerNode;
  /** Marker source text, for messages. */
  markerText?: string;
}

/** PEP 503 name normalisation: lowercase, runs of -_. become one "-". */
export function normalizeName(name: string): string {
  return name.toLowerCase().replace(/[-_.]+/g, "-");
}

export type MarkerNode =
  | { op: "and" | "or"; left: MarkerNode; right: MarkerNode }
  | { op: "cmp"; left: MarkerValue; cmp: string; right: MarkerValue };
export type MarkerValue = { var: string } | { str: string };

/** Marker environment (PEP 508 "Environment Markers"), plus `extra` supplied at evaluation time. */
export interface MarkerEnv {
  os_name: string;
  sys_platform: string;
  platform_machine: string;
  platform_python_implementation: string;
  platform_release: string;
  platform_system: string;
  platform_version: string;
  python_version: string;
  python_full_version: string;
  implementation_name: string;
  implementation_version: string;
}

export class Pep508Error extends Error {
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

const NAME_RE = /^[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?/;
const VERSION_VARS = new Set(["python_version", "python_full_version", "implementation_version", "platform_release"]);
const MARKER_VARS = new Set([
  "os_name", "sys_platform", "platform_machine", "platform_python_implementation", "platform_release", "platform_system",
  "platform_version", "python_version", "python_full_version", "implementation_name", "implementation_version", "extra",
  // legacy names accepted by packaging
  "os.name", "sys.platform", "platform.version", "platform.machine", "platform.python_implementation", "python_implementation",
]);
const LEGACY: Record<string, string> = {
  "os.name": "os_name", "sys.platform": "sys_platform", "platform.version": "platform_version",
  "platform.machine": "platform_machine", "platform.python_implementation": "platform_python_implementation",
  python_implementation: "platform_python_implementation",
};

export function parseRequirement(text: string): Requirement {
  let i = 0;
  const s = text;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  ws();
  const m = NAME_RE.exec(s.slice(i));
  if (!m) throw new Pep508Error("expected a package name", i);
  const name = m[0];
  i += name.length;
  ws();
  const extras: string[] = [];
  if (s[i] === "[") {
    i++;
    for (;;) {
      ws();
      if (s[i] === "]") {
        i++;
        break;
      }
      const e = NAME_RE.exec(s.slice(i));
      if (!e) throw new Pep508Error("expected an extra name", i);
      extras.push(normalizeName(e[0]));
      i += e[0].length;
      ws();
      if (s[i] === ",") i++;
      else if (s[i] !== "]") throw new Pep508Error("expected ',' or ']' in extras", i);
    }
    ws();
  }
  let specifier = "";
  let url: string | undefined;
  if (s[i] === "@") {
    i++;
    ws();
    const start = i;
    while (i < s.length && !/\s/.test(s[i]!)) i++;
    url = s.slice(start, i);
    if (!url) throw new Pep508Error("expected a URL after @", start);
    ws();
  } else {
    const paren = s[i] === "(";
    if (paren) i++;
    const start = i;
    while (i < s.length && s[i] !== ";" && !(paren && s[i] === ")")) i++;
    specifier = s.slice(start, i).replace(/\s+/g, "");
    if (paren) {
      if (s[i] !== ")") throw new Pep508Error("expected ')'", i);
      i++;
    }
    if (specifier && !/^(~=|===|==|!=|<=|>=|<|>)[^,]+(,(~=|===|==|!=|<=|>=|<|>)[^,]+)*$/.test(specifier))
      throw new Pep508Error(`invalid version specifier "${specifier}"`, start);
    ws();
  }
  let marker: MarkerNode | undefined;
  let markerText: string | undefined;
  if (s[i] === ";") {
    i++;
    markerText = s.slice(i).trim();
    marker = parseMarker(markerText, i);
    i = s.length;
  }
  ws();
  if (i < s.length) throw new Pep508Error(`unexpected "${s.slice(i)}"`, i);
  const req: Requirement = { name, key: normalizeName(name), extras, specifier };
  if (url !== undefined) req.url = url;
  if (marker) {
    req.marker = marker;
    req.markerText = markerText!;
  }
  return req;
}

type Tok = { t: "str" | "var" | "op" | "(" | ")" | "and" | "or"; v: string; at: number };

function tokenize(src: string, base: number): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const at = base + i;
    if (c === "(" || c === ")") {
      out.push({ t: c, v: c, at });
      i++;
    } else if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new Pep508Error("unterminated string in marker", at);
      out.push({ t: "str", v: src.slice(i + 1, end), at });
      i = end + 1;
    } else {
      const op = /^(===|==|!=|<=|>=|~=|<|>)/.exec(src.slice(i));
      if (op) {
        out.push({ t: "op", v: op[0], at });
        i += op[0].length;
        continue;
      }
      const w = /^[A-Za-z_][A-Za-z0-9_.]*/.exec(src.slice(i));
      if (!w) throw new Pep508Error(`unexpected "${c}" in marker`, at);
      i += w[0].length;
      if (w[0] === "and" || w[0] === "or") out.push({ t: w[0], v: w[0], at });
      else if (w[0] === "in") out.push({ t: "op", v: "in", at });
      else if (w[0] === "not") {
        const rest = /^\s+in\b/.exec(src.slice(i));
        if (!rest) throw new Pep508Error("expected 'in' after 'not'", at);
        i += rest[0].length;
        out.push({ t: "op", v: "not in", at });
      } else if (MARKER_VARS.has(w[0])) out.push({ t: "var", v: LEGACY[w[0]] ?? w[0], at });
      else throw new Pep508Error(`unknown marker variable "${w[0]}"`, at);
    }
  }
  return out;
}

export function parseMarker(src: string, base = 0): MarkerNode {
  const toks = tokenize(src, base);
  let p = 0;
  const peek = () => toks[p];
  const value = (): MarkerValue => {
    const t = toks[p++];
    if (t?.t === "str") return { str: t.v };
    if (t?.t === "var") return { var: t.v };
    throw new Pep508Error("expected a marker variable or a quoted string", t?.at ?? base + src.length);
  };
  const atom = (): MarkerNode => {
    if (peek()?.t === "(") {
      p++;
      const inner = or();
      if (peek()?.t !== ")") throw new Pep508Error("expected ')' in marker", peek()?.at ?? base + src.length);
      p++;
      return inner;
    }
    const left = value();
    const op = toks[p++];
    if (op?.t !== "op") throw new Pep508Error("expected a comparison operator in marker", op?.at ?? base + src.length);
    const right = value();
    return { op: "cmp", left, cmp: op.v, right };
  };
  const and = (): MarkerNode => {
    let left = atom();
    while (peek()?.t === "and") {
      p++;
      left = { op: "and", left, right: atom() };
    }
    return left;
  };
  const or = (): MarkerNode => {
    let left = and();
    while (peek()?.t === "or") {
      p++;
      left = { op: "or", left, right: and() };
    }
    return left;
  };
  const node = or();
  if (p < toks.length) throw new Pep508Error(`unexpected "${toks[p]!.v}" in marker`, toks[p]!.at);
  return node;
}

/** Evaluates a marker; `extras` are the extras requested of the package whose metadata holds it. */
export function evaluateMarker(node: MarkerNode, env: MarkerEnv, extras: readonly string[] = []): boolean {
  if (node.op !== "cmp") {
    const l = evaluateMarker(node.left, env, extras);
    return node.op === "and" ? l && evaluateMarker(node.right, env, extras) : l || evaluateMarker(node.right, env, extras);
  }
  const isExtra = ("var" in node.left && node.left.var === "extra") || ("var" in node.right && node.right.var === "extra");
  if (isExtra) {
    const other = "var" in node.left && node.left.var === "extra" ? node.right : node.left;
    const want = "str" in other ? normalizeName(other.str) : "";
    const has = extras.map(normalizeName).includes(want);
    if (node.cmp === "==" || node.cmp === "===") return has;
    if (node.cmp === "!=") return !has;
    return false;
  }
  const resolve = (v: MarkerValue) => ("str" in v ? v.str : (env as unknown as Record<string, string>)[v.var] ?? "");
  const l = resolve(node.left);
  const r = resolve(node.right);
  const versionish = ("var" in node.left && VERSION_VARS.has(node.left.var)) || ("var" in node.right && VERSION_VARS.has(node.right.var));
  switch (node.cmp) {
    case "in":
      return r.includes(l);
    case "not in":
      return !r.includes(l);
    case "===":
      return l === r;
  }
  // PEP 508: use PEP 440 comparison when both sides are valid versions, else Python string operators.
  if (versionish && valid(l) && valid(r)) {
    try {
      return satisfies(l, `${node.cmp}${r}`);
    } catch {
      /* fall through to string comparison */
    }
  }
  switch (node.cmp) {
    case "==":
      return l === r;
    case "!=":
      return l !== r;
    case "<":
      return l < r;
    case "<=":
      return l <= r;
    case ">":
      return l > r;
    case ">=":
      return l >= r;
    default:
      return false; // ~= on non-versions is an error in packaging; treat as not matching
  }
}
