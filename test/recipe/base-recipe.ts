// The valid recipe that the recipe tests edit line by line (malformed.test.ts and others).
const H = (c: string) => c.repeat(64);
const C40 = "a".repeat(40);

// Line numbers matter: cases below edit these lines by number.
export const BASE = [
  /*  1 */ "recipe: 1",
  /*  2 */ "name: demo-app",
  /*  3 */ "version: 1.0.0",
  /*  4 */ "platforms: [win-x64, linux-x64]",
  /*  5 */ "mirrors:",
  /*  6 */ "  gh: [https://github.com, https://ghproxy.example/https://github.com]",
  /*  7 */ "  files: [https://files.example.com, http://127.0.0.1:9/files]",
  /*  8 */ "python:",
  /*  9 */ "  version: 3.10.6",
  /* 10 */ `  win-x64: { url: mirror://files/python-embed.zip, sha256: ${H("a")} }`,
  /* 11 */ `  linux-x64: { url: mirror://files/python.tar.gz, sha256: ${H("b")} }`,
  /* 12 */ "git:",
  /* 13 */ `  win-x64: { url: mirror://files/mingit.zip, sha256: ${H("c")} }`,
  /* 14 */ "repos:",
  /* 15 */ "  - path: app",
  /* 16 */ "    url: mirror://gh/example/app.git",
  /* 17 */ `    commit: ${C40}`,
  /* 18 */ "files:",
  /* 19 */ "  - path: app/models/model.bin",
  /* 20 */ "    url: mirror://files/model.bin",
  /* 21 */ `    sha256: ${H("d")}`,
  /* 22 */ "launcher:",
  /* 23 */ "  node:",
  /* 24 */ `    win-x64: { url: mirror://files/node.zip, sha256: ${H("e")} }`,
  /* 25 */ `    linux-x64: { url: mirror://files/node.tar.gz, sha256: ${H("f")} }`,
  /* 26 */ '  command: ["{python}", "app.py", "--port", "{port}"]',
  /* 27 */ "  ready: /health",
];
