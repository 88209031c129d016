// Running work side by side, with one rule for failures: nothing keeps running unobserved. A
// failure stops new work, and the caller hears of it only once everything already started has
// ended (a step that throws while its siblings still write into a folder being cleaned up, or
// whose git child lives on after the command returned, is how orphans and half-deleted folders
// happen). Dependency-free: the launcher runtime uses it too.

/**
 * Runs `fn` over `items`, at most `n` at a time; results in item order. The first failure (or an
 * abort of `signal`) stops new items from starting; those already started finish, then the
 * failure is thrown.
 */
export async function pool<T, R>(items: readonly T[], n: number, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  let failed: { error: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      if (signal?.aborted) {
        failed = { error: signal.reason };
        return;
      }
      const i = next++;
      try {
        results[i] = await fn(items[i]!, i);
      } catch (error) {
        failed ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  if (failed) throw failed.error;
  return results;
}

/**
 * Runs sibling steps that share one fate: each gets a signal that aborts when the caller's does
 * or when a sibling fails, so that the others stop (their child processes are killed through it)
 * instead of running on for nothing. Resolves with every result, or throws the first failure once
 * all of them have ended.
 */
export async function siblings<T extends readonly unknown[]>(signal: AbortSignal | undefined, steps: { [K in keyof T]: (signal: AbortSignal) => Promise<T[K]> }): Promise<T> {
  const ctl = new AbortController();
  const onAbort = () => ctl.abort(signal!.reason);
  if (signal?.aborted) ctl.abort(signal.reason);
  else signal?.addEventListener("abort", onAbort, { once: true });
  let failed: { error: unknown } | undefined;
  try {
    const settled = await Promise.allSettled(
      steps.map((step) =>
        step(ctl.signal).catch((error: unknown) => {
          if (!failed) {
            failed = { error };
            ctl.abort(error);
          }
          throw error;
        }),
      ),
    );
    if (failed) throw failed.error;
    return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as unknown as T;
  } finally {
    signal?.removeEventListener("abort", onAbort);
  }
}
