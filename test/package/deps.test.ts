// The dependency check that `npm test` runs (scripts/check-deps.ts): what it counts as an import,
// and each kind of problem it reports.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { checkDeps, importsOf, packageOf } from "../../scripts/check-deps.ts";
import { tempDir } from "../helpers/tmp.ts";

describe("the dependency check", () => {
  it("reads package names from every kind of import and skips built-ins, relative paths and comment lines", () => {
    const text = [
      'import { a } from "alpha";',
      'import type { B } from "@scope/beta/sub";',
      "import {",
      "  c,",
      '} from "gamma";',
      'export { d } from "delta";',
      'import "side-effect";',
      'const e = await import("epsilon");',
      'const f = createRequire(import.meta.url).resolve("zeta");',
      'const g = require("eta/package.json");',
      'import { readFile } from "node:fs/promises";',
      'import { x } from "./local.ts";',
      '// import { no } from "commented";',
      'const text = "from \\"not-an-import\\"";',
    ].join("\n");
    expect([...importsOf(text)].sort()).toEqual(["@scope/beta", "alpha", "delta", "epsilon", "eta", "gamma", "side-effect", "zeta"]);
    expect(packageOf("fs")).toBeUndefined();
    expect(packageOf("#internal")).toBeUndefined();
  });

  it("reports undeclared, dev-only, unused and unpinned dependencies of a package", async () => {
    const dir = await tempDir("gb-deps-");
    await mkdir(join(dir, "src"), { recursive: true });
    await mkdir(join(dir, "bin"), { recursive: true });
    await writeFile(join(dir, "package.json"), JSON.stringify({ dependencies: { used: "1.2.3", ranged: "^2.0.0", idle: "3.0.0" }, devDependencies: { vitest: "5.1.2" } }));
    await writeFile(join(dir, "src", "a.ts"), 'import { x } from "used";\nimport { y } from "ranged";\nimport { it } from "vitest";\n');
    await writeFile(join(dir, "bin", "cli.js"), 'const esbuild = await import("esbuild");\n');
    const { problems } = checkDeps(dir);
    expect([...problems.undeclared.keys()]).toEqual(["esbuild"]);
    expect(problems.undeclared.get("esbuild")).toEqual([join("bin", "cli.js")]);
    expect([...problems.devOnly.keys()]).toEqual(["vitest"]);
    expect(problems.unused).toEqual(["idle"]);
    expect(problems.unpinned).toEqual(["ranged@^2.0.0"]);
  });

  it("finds nothing wrong with greenbundle's own package.json", () => {
    const { imports, problems } = checkDeps();
    expect(imports.has("esbuild") && imports.has("postject")).toBe(true);
    expect({ undeclared: [...problems.undeclared.keys()], devOnly: [...problems.devOnly.keys()], unused: problems.unused, unpinned: problems.unpinned }).toEqual({ undeclared: [], devOnly: [], unused: [], unpinned: [] });
  });
});
