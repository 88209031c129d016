// The win-x64 ._pth and the folder Python would put first on sys.path. The embeddable Python's
// ._pth switches on safe_path (CPython Modules/getpath.py), so `python launch.py` no longer sees
// its own folder: a recipe written as the docs show it (cwd: webui, command {python} launch.py,
// no python.paths) must still give an app that can import its own modules.
import { describe, expect, it } from "vitest";
import { firstSysPath, pthContent } from "../../src/python/runtime.ts";
import { makeTarget } from "../../src/python/target.ts";

const STOCK = ["python310.zip", ".", "", "# Uncomment to run site.main() automatically", "#import site", ""].join("\r\n");

describe("the folder Python puts first on sys.path for the launcher's command", () => {
  it("is the script's folder, resolved against the working folder", () => {
    expect(firstSysPath({ cwd: "webui", command: ["{python}", "launch.py", "--port", "{port}"] })).toBe("webui");
    expect(firstSysPath({ cwd: "webui", command: ["{python}", "-u", "-W", "ignore", "tools/run.py"] })).toBe("webui/tools");
    expect(firstSysPath({ command: ["{python}", "app/main.py"] })).toBe("app");
    expect(firstSysPath({ cwd: "app", command: ["{python}", "{bundle}/run.py"] })).toBe("");
    expect(firstSysPath({ cwd: "a/b", command: ["{python}", "../c/x.py"] })).toBe("a/c");
  });

  it("is the working folder for -m, -c and the interactive interpreter", () => {
    expect(firstSysPath({ cwd: "app/srv", command: ["{python}", "-m", "myapp", "--port", "{port}"] })).toBe("app/srv");
    expect(firstSysPath({ cwd: "app/srv/", command: ["{python}", "-mmyapp"] })).toBe("app/srv");
    expect(firstSysPath({ command: ["{python}", "-c", "print(1)"] })).toBe("");
    expect(firstSysPath({ cwd: "x", command: ["{python}"] })).toBe("x");
  });

  it("is unknown when the command is not the bundled Python or the script lies outside the bundle", () => {
    expect(firstSysPath({ cwd: "webui", command: ["webui.bat"] })).toBeUndefined();
    expect(firstSysPath({ cwd: "webui", command: ["{python}", "../../elsewhere/x.py"] })).toBeUndefined();
    expect(firstSysPath({ command: ["{python}", "/opt/x.py"] })).toBeUndefined();
    expect(firstSysPath({ command: ["{python}", "{git}"] })).toBeUndefined();
  });
});

describe("the rewritten ._pth", () => {
  const target = makeTarget("win-x64", "3.10.6");

  it("puts the launcher's script folder first, as Python without a ._pth does, and does not repeat it for python.paths", () => {
    expect(pthContent(STOCK, target, ["webui", "webui/lib"], "webui").split("\r\n")).toEqual([
      "# written by greenbundle: the launcher's script folder, stdlib, site-packages and the recipe's python.paths",
      "..\\webui",
      "python310.zip",
      ".",
      "Lib\\site-packages",
      "..\\webui\\lib",
      "import site",
      "",
    ]);
  });

  it("names the bundle root as .. and keeps the old layout when the first folder is unknown", () => {
    expect(pthContent(STOCK, target, [], "").split("\r\n").slice(1, 3)).toEqual(["..", "python310.zip"]);
    expect(pthContent(STOCK, target, ["app"]).split("\r\n")).toEqual(["# written by greenbundle: stdlib, site-packages and the recipe's python.paths", "python310.zip", ".", "Lib\\site-packages", "..\\app", "import site", ""]);
  });
});
