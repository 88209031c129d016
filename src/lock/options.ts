// What `bundle lock` (and a build that locks on the way) is asked to do.

import type { Emit } from "../core/events.ts";
import type { Platform } from "../core/platform.ts";
import type { LoadedRecipe } from "../recipe/load.ts";

export interface LockOptions {
  loaded: LoadedRecipe;
  /** Platforms to lock (default: all of the recipe's). Others keep their entries in the lock. */
  platforms?: Platform[];
  cacheDir: string;
  emit?: Emit;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  offline?: boolean;
  /** Requirements resolved at the same time (default 8). */
  jobs?: number;
  /** Host Python for building sdists (default $BUNDLE_HOST_PYTHON, else python3). */
  python?: string;
}
