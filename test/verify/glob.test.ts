import { describe, expect, it } from "vitest";
import { globMatcher, matchGlob } from "../../src/verify/glob.ts";

describe("allow_changes globs", () => {
  it("matches exact paths only exactly", () => {
    expect(matchGlob("webui/config.json", "webui/config.json")).toBe(true);
    expect(matchGlob("webui/config.json", "webui/config.jsonx")).toBe(false);
    expect(matchGlob("webui/config.json", "other/webui/config.json")).toBe(false);
  });

  it("lets * match within one folder name, dots and spaces included", () => {
    expect(matchGlob("logs/*.log", "logs/launcher-2024.log")).toBe(true);
    expect(matchGlob("logs/*.log", "logs/a b.log")).toBe(true);
    expect(matchGlob("logs/*.log", "logs/.hidden.log")).toBe(true);
    expect(matchGlob("logs/*.log", "logs/sub/x.log")).toBe(false);
    expect(matchGlob("webui/*", "webui/params.txt")).toBe(true);
  });

  it("lets ? match exactly one character that is not a slash", () => {
    expect(matchGlob("out/img?.png", "out/img1.png")).toBe(true);
    expect(matchGlob("out/img?.png", "out/img12.png")).toBe(false);
    expect(matchGlob("a?b", "a/b")).toBe(false);
  });

  it("lets a trailing ** match everything below a folder", () => {
    expect(matchGlob("webui/outputs/**", "webui/outputs/txt2img-images/2024-01-01/00000.png")).toBe(true);
    expect(matchGlob("webui/outputs/**", "webui/outputs/a.png")).toBe(true);
    expect(matchGlob("webui/outputs/**", "webui/outputs2/a.png")).toBe(false);
  });

  it("lets a leading or middle ** match any number of folders, zero included", () => {
    expect(matchGlob("**/cache.json", "cache.json")).toBe(true);
    expect(matchGlob("**/cache.json", "webui/deep/er/cache.json")).toBe(true);
    expect(matchGlob("webui/**/tmp/*", "webui/tmp/x")).toBe(true);
    expect(matchGlob("webui/**/tmp/*", "webui/a/b/tmp/x")).toBe(true);
    expect(matchGlob("webui/**/tmp/*", "webui/a/b/tmpx/x")).toBe(false);
    expect(matchGlob("**", "anything/at/all")).toBe(true);
  });

  it("treats regular-expression characters and CJK names literally", () => {
    expect(matchGlob("a+b/(x)[1].txt", "a+b/(x)[1].txt")).toBe(true);
    expect(matchGlob("a.b", "axb")).toBe(false);
    expect(matchGlob("输出/*.png", "输出/图 1.png")).toBe(true);
  });

  it("matches a path when any glob of a list matches", () => {
    const m = globMatcher(["webui/config.json", "logs/**"]);
    expect(m("logs/x/y")).toBe(true);
    expect(m("webui/config.json")).toBe(true);
    expect(m("webui/ui-config.json")).toBe(false);
    expect(globMatcher([])("x")).toBe(false);
  });
});
