// The app's environment: the bundled python and git first on PATH,
// user site-packages off, no inherited PYTHONHOME/PYTHONPATH, the recipe's pip mirror, git
// safe.directory for the bundled repositories, and the recipe's env with placeholders filled.
// Pure: the caller passes the inherited environment and the host facts.

export interface Placeholders {
  bundle: string;
  python: string;
  git: string;
  port: string;
}

/** Fills {bundle} {python} {git} {port} (the placeholders of launcher strings). Unknown {x} stay as they are. */
export function fillPlaceholders(s: string, p: Placeholders): string {
  return s.replace(/\{(bundle|python|git|port)\}/g, (_, k: keyof Placeholders) => p[k]);
}

/** Variables that would make the bundled Python load someone else's code or settings. */
const DROP = ["PYTHONHOME", "PYTHONPATH", "PYTHONSTARTUP", "PYTHONUSERBASE", "PYTHONEXECUTABLE", "PYTHONSAFEPATH", "VIRTUAL_ENV", "CONDA_PREFIX", "PIP_CONFIG_FILE", "PIP_REQUIRE_VIRTUALENV"];

export interface EnvInput {
  inherited: Record<string, string | undefined>;
  windows: boolean;
  placeholders: Placeholders;
  /** Folders to put first on PATH, in order. */
  pathFirst: string[];
  /** Absolute folders of the bundled repositories. */
  repos: string[];
  pipIndexUrl?: string;
  recipeEnv: Record<string, string>;
}

/** Windows environment names are case-insensitive: find the spelling actually used ("Path"). */
function keyOf(env: Record<string, string>, name: string, windows: boolean): string | undefined {
  if (!windows) return name in env ? name : undefined;
  const upper = name.toUpperCase();
  return Object.keys(env).find((k) => k.toUpperCase() === upper);
}

function setVar(env: Record<string, string>, name: string, value: string, windows: boolean): void {
  const k = keyOf(env, name, windows);
  if (k !== undefined && k !== name) delete env[k];
  env[name] = value;
}

/** Appends safe.directory entries after any GIT_CONFIG_COUNT entries the user already has. */
function addGitSafeDirectories(env: Record<string, string>, repos: string[], windows: boolean): void {
  if (repos.length === 0) return;
  const countKey = keyOf(env, "GIT_CONFIG_COUNT", windows);
  const existing = countKey ? Number(env[countKey]) : 0;
  let n = Number.isInteger(existing) && existing > 0 ? existing : 0;
  for (const repo of repos) {
    // git compares safe.directory with forward slashes on Windows too.
    const value = windows ? repo.replaceAll("\\", "/") : repo;
    setVar(env, `GIT_CONFIG_KEY_${n}`, "safe.directory", windows);
    setVar(env, `GIT_CONFIG_VALUE_${n}`, value, windows);
    n++;
  }
  setVar(env, "GIT_CONFIG_COUNT", String(n), windows);
}

export function buildEnv(input: EnvInput): Record<string, string> {
  const { windows } = input;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(input.inherited)) if (v !== undefined) env[k] = v;
  for (const name of DROP) {
    const k = keyOf(env, name, windows);
    if (k !== undefined) delete env[k];
  }
  const pathKey = keyOf(env, "PATH", windows) ?? "PATH";
  const sep = windows ? ";" : ":";
  const rest = env[pathKey] ? [env[pathKey]] : [];
  env[pathKey] = [...input.pathFirst, ...rest].join(sep);
  setVar(env, "PYTHONNOUSERSITE", "1", windows);
  // Output goes through a pipe to the console and the log: unbuffered, and UTF-8 so that
  // Chinese text survives on Windows, whose pipe default is the ANSI code page.
  setVar(env, "PYTHONUNBUFFERED", "1", windows);
  setVar(env, "PYTHONIOENCODING", "utf-8", windows);
  if (input.pipIndexUrl) setVar(env, "PIP_INDEX_URL", input.pipIndexUrl, windows);
  addGitSafeDirectories(env, input.repos, windows);
  for (const [k, v] of Object.entries(input.recipeEnv)) setVar(env, k, fillPlaceholders(v, input.placeholders), windows);
  return env;
}
