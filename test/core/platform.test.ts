// The platform table: every platform is described by facts alone, and the helpers that read them
// agree with each other, so that a new platform is one entry plus these checks.
import { describe, expect, it } from "vitest";
import { cannotBoot, nodeArchiveName, platformOf, platformOfSysconfig, PLATFORM_FACTS, PLATFORMS } from "../../src/core/platform.ts";
import { makeTarget } from "../../src/python/target.ts";
import { platformTags } from "../../src/python/tags.ts";

describe("the platform table", () => {
  it.each(PLATFORMS)("%s is found again from its host, its sysconfig name and its Node archive", (p) => {
    const f = PLATFORM_FACTS[p];
    expect(platformOf(f.host.platform, f.host.arch)).toBe(p);
    expect(platformOfSysconfig(f.python.sysconfig)).toBe(p);
    expect(nodeArchiveName(p, "24.21.0")).toBe(`node-v24.21.0-${f.node.os}-${f.node.arch}.${f.node.archive}`);
    const t = makeTarget(p, "3.10.6");
    expect(Object.values(t.scheme).every((s) => s.startsWith("python") && !s.includes("{"))).toBe(true);
    expect(t.python).toBe(f.python.interpreter);
    expect(t.markers).toMatchObject({ ...f.python.markers, python_version: "3.10", python_full_version: "3.10.6" });
    expect(platformTags(t).length).toBeGreaterThan(0);
  });

  it("describes linux-arm64 as data: aarch64 markers and wheels, the Linux scheme, a tar.gz Node, no bundled git", () => {
    const t = makeTarget("linux-arm64", "3.10.6");
    expect(t.markers).toMatchObject({ os_name: "posix", sys_platform: "linux", platform_system: "Linux", platform_machine: "aarch64" });
    expect(t.scheme.purelib).toBe("python/lib/python3.10/site-packages");
    expect(t.python).toBe("python/bin/python3");
    expect(nodeArchiveName("linux-arm64", "24.21.0")).toBe("node-v24.21.0-linux-arm64.tar.gz");
    expect(PLATFORM_FACTS["linux-arm64"]).toMatchObject({ exe: "", bundledGit: null, execBit: true, caseInsensitive: false, pathRules: null });
    expect(platformOf("linux", "arm64")).toBe("linux-arm64");
    expect(platformOfSysconfig("linux-aarch64")).toBe("linux-arm64");
    expect(platformOf("darwin", "arm64")).toBeUndefined();
  });

  it("says when a bundle cannot boot on a host: another architecture or another OS", () => {
    expect(cannotBoot("linux-x64", { platform: "linux-x64", label: "linux-x64" })).toBeUndefined();
    expect(cannotBoot("linux-arm64", { platform: "linux-x64", label: "linux-x64" })).toBe("cannot boot a linux-arm64 bundle on this linux-x64 host");
    expect(cannotBoot("win-x64", { platform: undefined, label: "darwin-arm64" })).toBe("cannot boot a win-x64 bundle on this darwin-arm64 host");
  });
});
