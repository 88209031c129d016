// A rate limiter for the test server: `take(n)` resolves when n more bytes fit under
// `bytesPerSec`. It keeps a virtual clock (`tat`, when the bytes sent so far are due): a sender
// never runs ahead of it, and a sender that woke up late (timer granularity, a busy machine) may
// catch up by at most `catchUpMs`, so timer slop does not show in the figures while a fresh
// response gets no head start.

import { setTimeout as sleep } from "node:timers/promises";

export class Pacer {
  private readonly rate: number;
  private readonly catchUpMs: number;
  private tat: number;

  constructor(bytesPerSec: number, catchUpMs = 20) {
    this.rate = bytesPerSec;
    this.catchUpMs = catchUpMs;
    this.tat = performance.now();
  }

  async take(n: number): Promise<void> {
    const now = performance.now();
    this.tat = Math.max(this.tat, now - this.catchUpMs) + (n * 1000) / this.rate;
    const wait = this.tat - now;
    if (wait > 0) await sleep(wait);
  }
}
