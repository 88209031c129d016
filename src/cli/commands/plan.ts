// bundle plan <recipe> [--platform P] [--json]

import { loadRecipe } from "../../recipe/load.ts";
import { thisHost } from "../../core/platform.ts";
import { choosePlatform, makePlan, type Plan, type PlanArtifact } from "../../plan/plan.ts";
import type { CliContext } from "../context.ts";
import { bundleJsonHead, type BundleJsonHead } from "../../assemble/bundle-json.ts";

export async function run(ctx: CliContext): Promise<number> {
  const loaded = await loadRecipe(ctx.args[0]!);
  const platform = choosePlatform(loaded.recipe, ctx.flags.platform as string | undefined);
  const plan = await makePlan({ loaded, platform, host: thisHost() });
  if (ctx.json) ctx.out(JSON.stringify(planToJson(plan, await bundleJsonHead(plan, loaded)), null, 2));
  else ctx.out(planTable(plan, ctx.tty));
  return 0;
}

/** The stable JSON form of a plan (`bundle plan --json`). */
export function planToJson(plan: Plan, head?: BundleJsonHead) {
  return {
    recipe: plan.recipe,
    platform: plan.platform,
    bundle: plan.bundleName,
    lock: plan.lock,
    artifacts: plan.artifacts.map((a) => {
      const d = details(a);
      return {
        id: a.id,
        kind: a.kind,
        name: a.name,
        ...(d.version !== undefined ? { version: d.version } : {}),
        ...(d.dest !== undefined ? { dest: d.dest } : {}),
        urls: a.urls,
        ...(a.sha256 !== undefined ? { sha256: a.sha256 } : {}),
        ...(a.size !== undefined ? { size: a.size } : {}),
        ...d.more,
        locked: a.locked,
        source: `${a.source.file}:${a.source.line}:${a.source.col}`,
      };
    }),
    ...(head ? { bundle_json: { launcher: head.launcher, ...(head.gpu ? { gpu: head.gpu } : {}), ...(head.verify ? { verify: head.verify } : {}) } } : {}),
    summary: {
      artifacts: plan.artifacts.length,
      unlocked: plan.artifacts.filter((a) => !a.locked).length,
      bytes: plan.artifacts.reduce((n, a) => n + (a.size ?? 0), 0),
    },
  };
}

/**
 * What each kind adds to the JSON form: its version and destination when it has them, then
 * its own fields (a repository's commit, a locked wheel's file name, the build machine's Node's
 * platform, an sdist's build requirements). Build-only artifacts have no destination.
 */
function details(a: PlanArtifact): { version?: string | undefined; dest?: string; more: Record<string, unknown> } {
  switch (a.kind) {
    case "python":
      return { version: a.version, dest: a.dest, more: {} };
    case "git":
      return { dest: a.dest, more: {} };
    case "file":
      // Inline files are small (configs, Hugging Face refs): shown as they will be written.
      return { dest: a.dest, more: a.text !== undefined ? { text: a.text } : {} };
    case "node":
      return a.role === "launcher" ? { version: a.version, dest: a.dest, more: { role: a.role } } : { version: a.version, more: { role: a.role, platform: a.platform } };
    case "wheel":
      return { version: a.version, dest: a.dest, more: a.locked ? { filename: a.filename } : {} };
    case "sdist":
      return { version: a.version, dest: a.dest, more: { ...(a.wheel ? { filename: a.wheel } : {}), buildRequirements: a.buildRequirements } };
    case "build-requirement":
      return { version: a.version, more: {} };
    case "repo":
    case "extension":
      return { dest: a.dest, more: { commit: a.commit, origin: a.origin, ...(a.tag ? { tag: a.tag } : {}) } };
  }
}

function cut(s: string, n: number): string {
  return s.length <= n ? s : s.slice(0, n - 1) + "…";
}

export function planTable(plan: Plan, wide: boolean): string {
  const rows = plan.artifacts.map((a) => {
    const d = details(a);
    const commit = a.kind === "repo" || a.kind === "extension" ? a.commit : undefined;
    return [
      a.kind,
      d.version ? `${a.name} ${d.version}` : a.name,
      d.dest ?? "(used by the build only)",
      commit ? commit.slice(0, 12) : a.sha256 ? a.sha256.slice(0, 12) : "(to lock)",
      `${a.urls.length}× ${a.urls[0] ?? "-"}`,
    ];
  });
  const head = ["KIND", "NAME", "DESTINATION", "SHA256/COMMIT", "CANDIDATES"];
  const max = wide ? [9, 40, 50, 14, 90] : [9, 40, 60, 14, 200];
  const cols = head.map((h, i) => Math.min(max[i]!, Math.max(h.length, ...rows.map((r) => r[i]!.length))));
  const fmt = (r: string[]) => r.map((c, i) => cut(c, cols[i]!).padEnd(cols[i]!)).join("  ").trimEnd();
  const unlocked = plan.artifacts.filter((a) => !a.locked).length;
  const lines = [
    `${plan.recipe.title} — ${plan.bundleName} (${plan.artifacts.length} artifacts)`,
    "",
    fmt(head),
    ...rows.map(fmt),
    "",
    `lock: ${plan.lock.file ?? "(none)"} — ${plan.lock.state}`,
    ...plan.lock.problems.map((p) => `  ${p}`),
  ];
  if (unlocked > 0) lines.push(`${unlocked} artifact(s) have no pinned hash yet: \`bundle build\` and \`bundle fetch\` pin them on their way; run \`bundle lock ${plan.recipe.file}\` (needs network) before \`bundle build --locked\``);
  return lines.join("\n");
}
