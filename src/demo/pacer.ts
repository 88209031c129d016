// A rate limiter for the test server (GCRA / virtual clock): `take(n)` resolves when n more bytes
// fit under `bytesPerSec`. Sleeping late does not lose rate: the virtual clock lets the next chunks
// catch up within a small burst allowance, so timer granularity does not show in the figures.

import { setTimeout as sleep } from "node:timers/promises";

export class Pacer {
  private readonly rate: number;
  private readonly burstMs: number;
  private tat = 0;

  constructor(bytesPerSec: number, burstMs = 20) {
    this.rate = bytesPerSec;
    this.burstMs = burstMs;
  }

  async take(n: number): Promise<void> {
    const now = performance.now();
    this.tat = Math.max(this.tat, now - this.burstMs) + (n * 1000) / this.rate;
    const wait = this.tat - this.burstMs - now;
    if (wait > 0) await sleep(wait);
  }
}
