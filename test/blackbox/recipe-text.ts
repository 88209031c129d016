// A small valid recipe whose URLs name hosts that do not exist: for checks that must fail (or
// pass) before any network access. Line numbers matter to tests that add lines at the end.
const H = (c: string) => c.repeat(64);

export const BASE_LINES = [
  /*  1 */ "recipe: 1",
  /*  2 */ "name: demo-app",
  /*  3 */ "version: 1.0.0",
  /*  4 */ "platforms: [linux-x64]",
  /*  5 */ "mirrors:",
  /*  6 */ "  gh: [https://github.invalid]",
  /*  7 */ "  files: [https://files.invalid]",
  /*  8 */ "python:",
  /*  9 */ "  version: 3.10.6",
  /* 10 */ `  linux-x64: { url: mirror://files/python.tar.gz, sha256: ${H("b")} }`,
  /* 11 */ "repos:",
  /* 12 */ "  - path: app",
  /* 13 */ "    url: mirror://gh/example/app.git",
  /* 14 */ `    commit: ${"a".repeat(40)}`,
  /* 15 */ "files:",
  /* 16 */ "  - path: app/models/model.bin",
  /* 17 */ "    url: mirror://files/model.bin",
  /* 18 */ `    sha256: ${H("d")}`,
  /* 19 */ "launcher:",
  /* 20 */ "  node:",
  /* 21 */ `    linux-x64: { url: mirror://files/node.tar.gz, sha256: ${H("f")} }`,
  /* 22 */ '  command: ["{python}", "app.py", "--port", "{port}"]',
  /* 23 */ "  ready: /health",
] as const;
