// Concurrency limits: downloads at the same time (--jobs) and connections per host.

/** A counting semaphore; `limit` may differ per call (per-host limits come from each run's options). */
export class Semaphore {
  private active = 0;
  private readonly waiters: { limit: number; wake: () => void }[] = [];
  private readonly defaultLimit: number;

  constructor(limit: number) {
    this.defaultLimit = Math.max(1, limit);
  }

  get inUse(): number {
    return this.active;
  }

  /** Resolves with a release function once a slot is free. */
  async acquire(signal?: AbortSignal, limit = this.defaultLimit): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.active < limit) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const w = { limit, wake: () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      } };
      const onAbort = () => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.waiters.push(w);
    });
    return this.releaser();
  }

  /** Takes a slot only if one is free now. */
  tryAcquire(limit = this.defaultLimit): (() => void) | undefined {
    if (this.active >= limit) return undefined;
    this.active++;
    return this.releaser();
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.active--;
      this.wakeNext();
    };
  }

  private wakeNext(): void {
    const i = this.waiters.findIndex((w) => this.active < w.limit);
    if (i < 0) return;
    const [w] = this.waiters.splice(i, 1);
    this.active++;
    w!.wake();
  }

  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** One semaphore per host (host:port), created on first use. */
export class HostLimiter {
  private readonly hosts = new Map<string, Semaphore>();

  private of(url: string): Semaphore {
    const host = new URL(url).host;
    let s = this.hosts.get(host);
    if (!s) this.hosts.set(host, (s = new Semaphore(1)));
    return s;
  }

  acquire(url: string, limit: number, signal?: AbortSignal): Promise<() => void> {
    return this.of(url).acquire(signal, limit);
  }

  tryAcquire(url: string, limit: number): (() => void) | undefined {
    return this.of(url).tryAcquire(limit);
  }
}
