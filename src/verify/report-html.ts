// report.html: one self-contained page (no scripts, no outside resources) that a maintainer can
// attach to a release — the generated image inline as a data: URL, every check, the figures.

import type { Check, VerifyReport } from "./report-types.ts";
import { describeAttempt } from "./netguard.ts";
import { describeChange } from "./changes.ts";

export function esc(s: unknown): string {
  return String(s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

const secs = (s: number | null) => (s === null ? "—" : `${s.toFixed(s < 10 ? 2 : 1)} s`);

const CSS = `body{font:15px/1.5 system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#1b1f24}
h1{font-size:1.5rem;margin:0}h2{font-size:1.1rem;margin-top:2rem;border-bottom:1px solid #ddd}
.verdict{padding:.75rem 1rem;border-radius:6px;font-weight:600;margin:1rem 0}.ok{background:#dafbe1;color:#116329}.bad{background:#ffebe9;color:#a40e26}
table{border-collapse:collapse;width:100%}td,th{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #eee;vertical-align:top}
.pass{color:#116329}.fail{color:#a40e26;font-weight:600}.warn{color:#9a6700}.skip{color:#6e7781}
.row{display:flex;gap:1.5rem;flex-wrap:wrap}.row img{max-width:100%;width:24rem;image-rendering:auto;border:1px solid #ddd}
pre{background:#f6f8fa;padding:.75rem;overflow:auto;font-size:12px}code{font-size:13px}ul{margin:.25rem 0;padding-left:1.25rem}`;

function factsTable(rows: [string, string][]): string {
  return `<table>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")}</table>`;
}

function checkRow(c: Check): string {
  const items = c.items?.length ? `<details${c.status === "fail" ? " open" : ""}><summary>${c.items.length} item(s)</summary><ul>${c.items.map((i) => `<li><code>${esc(i)}</code></li>`).join("")}</ul></details>` : "";
  return `<tr><td class="${c.status}">${c.status.toUpperCase()}</td><td>${esc(c.title)}</td><td>${esc(c.detail)}${items}</td></tr>`;
}

function imageSection(r: VerifyReport, png?: Buffer): string {
  if (!r.image) return "<p>No image was generated.</p>";
  const img = png ? `<img alt="generated test image" src="data:image/png;base64,${png.toString("base64")}">` : "";
  const st = r.image.stats;
  const rows: [string, string][] = [
    ["size", `${r.image.width}×${r.image.height}, ${r.image.bytes} bytes`],
    ["sha256", r.image.sha256],
    ["request", JSON.stringify(r.request)],
    ["generation time", secs(r.timings.generate)],
  ];
  if (st) rows.push(["channel mean / std-dev", `${st.mean.join(", ")} / ${st.std.join(", ")}`], ["colours", `${st.distinctColours} distinct; most common covers ${(st.dominantShare * 100).toFixed(2)}%`]);
  return `<div class="row">${img}<div style="flex:1">${factsTable(rows)}</div></div>`;
}

function gpuRows(r: VerifyReport): [string, string][] {
  const g = r.gpu;
  const rows: [string, string][] = [["mode", g.mode], ["GPU used", g.used === null ? "not checked" : g.used ? "yes" : "no"], ["detail", g.detail]];
  if (g.torch) rows.push(["torch", g.torch.error ?? `${g.torch.version} — CUDA ${g.torch.cuda ? `${g.torch.cudaVersion} on ${g.torch.device} (${g.torch.memoryGiB} GiB)` : "not available"}`]);
  if (g.memory) rows.push(["memory (GiB)", Object.entries(g.memory).map(([k, v]) => `${k} ${v}`).join(", ")]);
  return rows;
}

export function renderReportHtml(r: VerifyReport, png?: Buffer): string {
  const name = r.bundle ? `${r.bundle.name} ${r.bundle.version} (${r.bundle.platform})` : r.source.path;
  const failed = r.checks.filter((c) => c.status === "fail");
  const verdict = r.ok ? `<div class="verdict ok">Verified: every check passed.</div>` : `<div class="verdict bad">Not verified: ${failed.length} check(s) failed — ${esc(failed.map((c) => c.title).join(", "))}.</div>`;
  const t = r.timings;
  const facts: [string, string][] = [
    ["source", `${r.source.path} (${r.source.kind}${r.source.bytes !== undefined ? `, ${r.source.bytes} bytes` : ""})`],
    ...(r.source.sha256 ? [["sha256", r.source.sha256] as [string, string]] : []),
    ["unpacked into", `${r.copy.path}${r.copy.kept ? " (kept)" : " (removed)"}`],
    ["network", `${r.offline.method}: ${r.offline.detail}`],
    ["times", `extract ${secs(t.extract)} · manifest ${secs(t.manifest)} · ready ${secs(t.ready)} · generate ${secs(t.generate)} · stop ${secs(t.stop)} · total ${secs(t.total)}`],
    ["checked by", `${r.tool.name} ${r.tool.version}`],
  ];
  const attempts = r.offline.attempts.length ? `<h2>Network attempts</h2><ul>${r.offline.attempts.map((a) => `<li>${esc(describeAttempt(a))}</li>`).join("")}</ul>` : "";
  const ch = r.changes;
  const changes = ch
    ? `<h2>Changes made by the first launch</h2><p>${ch.violations} not allowed · ${ch.allowed} allowed by the recipe · ${ch.pycache} bytecode · ${ch.other} other</p>` +
      (["violations", "allowed", "pycache", "other"] as const)
        .filter((k) => ch.lists[k].length > 0)
        .map((k) => `<details${k === "violations" ? " open" : ""}><summary>${k} (${ch.lists[k].length})</summary><ul>${ch.lists[k].slice(0, 500).map((e) => `<li><code>${esc(describeChange(e))}</code></li>`).join("")}</ul></details>`)
        .join("")
    : "";
  const log = r.log ? `<h2>App log (last ${r.log.tail.length} of ${r.log.lines} lines)</h2><pre>${esc(r.log.tail.join("\n"))}</pre>` : "";
  // What was sent: the txt2img settings, the graph (ComfyUI) or the command (a script app).
  const request = r.request ? `<h2>What verify asked for</h2><details${r.ok ? "" : " open"}><summary>request</summary><pre>${esc(JSON.stringify(r.request, null, 2))}</pre></details>` : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>verify: ${esc(name)}</title><style>${CSS}</style></head><body>
<h1>${esc(r.bundle?.title ?? name)}</h1><div>${esc(name)}</div>
${verdict}
<h2>Generated image</h2>${imageSection(r, png)}
<h2>Checks</h2><table><tr><th>result</th><th>check</th><th>detail</th></tr>${r.checks.map(checkRow).join("")}</table>
<h2>Facts</h2>${factsTable(facts)}
<h2>GPU</h2>${factsTable(gpuRows(r))}
${request}${attempts}${changes}${log}
</body></html>
`;
}
