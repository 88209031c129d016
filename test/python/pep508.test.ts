// PEP 508 requirement parsing and marker evaluation against targets given as data.
import { describe, expect, it } from "vitest";
import { evaluateMarker, normalizeName, parseMarker, parseRequirement } from "../../src/python/pep508.ts";
import { makeTarget } from "../../src/python/target.ts";

const win = makeTarget("win-x64", "3.10.6").markers;
const linux = makeTarget("linux-x64", "3.10.6").markers;

describe("PEP 508", () => {
  it("normalises names per PEP 503", () => {
    expect(normalizeName("Foo.Bar__baz")).toBe("foo-bar-baz");
  });

  it("parses extras, specifiers and markers", () => {
    const r = parseRequirement('Requests[Security, socks] (>=2.8.1, <3) ; python_version < "3.11" and extra == "x"');
    expect(r).toMatchObject({ key: "requests", extras: ["security", "socks"], specifier: ">=2.8.1,<3" });
    expect(r.markerText).toBe('python_version < "3.11" and extra == "x"');
  });

  it.each([
    ['platform_system == "Windows"', true, false],
    ['sys_platform == "linux"', false, true],
    ['os_name == "nt" or platform_machine == "x86_64"', true, true],
    ['python_version >= "3.8" and python_version < "3.11"', true, true],
    ['python_full_version < "3.10.7"', true, true],
    ['python_version > "3.9.1"', true, true],
    ['"win" in sys_platform', true, false],
    ['platform_machine not in "x86_64 aarch64"', true, false],
    ['(sys_platform == "darwin")', false, false],
    ['implementation_name == "cpython" and platform_python_implementation == "CPython"', true, true],
  ])("%s → win %s, linux %s", (m, w, l) => {
    const node = parseMarker(m);
    expect(evaluateMarker(node, win)).toBe(w);
    expect(evaluateMarker(node, linux)).toBe(l);
  });

  it("evaluates extra against the requested extras", () => {
    const node = parseMarker('extra == "Socks"');
    expect(evaluateMarker(node, win, [])).toBe(false);
    expect(evaluateMarker(node, win, ["socks"])).toBe(true);
  });

  it("reports the offset of a bad marker", () => {
    expect(() => parseMarker('python_version <> "3"')).toThrow(/unexpected|expected/);
    expect(() => parseMarker("nonsense == 'x'")).toThrow(/unknown marker variable "nonsense"/);
  });
});
