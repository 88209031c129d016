// What a failed `git fetch` from one mirror means, in the outcome kinds of the one mirror policy
// (src/fetch/outcome.ts; src/fetch/mirrors.ts decides what to do with them). Only this reading of
// git's messages is git-specific: rounds, demotion, backoff and the summary are the same as for
// file downloads. git (2.39, LC_ALL=C) reports HTTP trouble as
//   fatal: unable to access '<url>/': The requested URL returned error: 503
//   fatal: unable to access '<url>/': Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server
// and a mirror without the commit as
//   fatal: remote error: upload-pack: not our ref <sha>

import { AttemptError, type OutcomeKind } from "../fetch/outcome.ts";

/** The mirror does not have the repository or the commit: asking it again cannot help. */
const NOT_FOUND = [
  /not our ref/i,
  /couldn't find remote ref/i,
  /repository '.*' not found/i,
  /Repository not found/i,
  /does not appear to be a git repository/i,
  /returned error: (404|410)\b/i,
];

/** The mirror answers, but not as a git server, or refuses us: retrying the same URL cannot help. */
const REFUSED = [
  /returned error: 4(0[0-7]|09|1[0-9]|2[0-8]|[3-9][0-9])\b/i, // 4xx except 408 and 429
  /Authentication failed/i,
  /could not read (Username|Password)/i,
  /not valid: is this a git repository\?/i,
  /SSL certificate problem|server certificate verification failed/i,
  /unsupported protocol|Protocol ".*" not supported/i,
];

/** The outcome of a git failure from its whole stderr. Anything not recognised is transient (another round may help). */
export function gitOutcome(stderr: string): OutcomeKind {
  if (NOT_FOUND.some((r) => r.test(stderr))) return "not-found";
  if (REFUSED.some((r) => r.test(stderr))) return "refused";
  return "transient";
}

/** The most telling line of git's stderr: the last "fatal:"/"error:" line naming a cause, else the last line. */
export function gitReason(stderr: string): string {
  const lines = stderr.split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  const telling = lines.filter((l) => /^(fatal|error):/.test(l) && !/^fatal: (Could not read from remote repository|the remote end hung up unexpectedly)\.?$/.test(l));
  const fatal = telling.at(-1) ?? [...lines].reverse().find((l) => /^(fatal|error):/.test(l));
  return fatal ?? lines.at(-1) ?? "(no message)";
}

/** A failed git network command against `url` as an attempt of the mirror policy. */
export function gitAttemptError(url: string, exitCode: number, stderr: string): AttemptError {
  const reason = gitReason(stderr);
  return new AttemptError(gitOutcome(stderr), url, exitCode === 128 || exitCode === 1 ? reason : `${reason} (exit ${exitCode})`);
}
