import { HttpError } from './http-error.js';

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * A bound on runs in flight with a short queue behind it. When both are full the request is
 * refused at once (503 + Retry-After) instead of piling up: memory stays bounded however many
 * clients arrive, and a load balancer can send them elsewhere.
 */
export class RunGate {
  running = 0;
  private readonly waiting: Waiter[] = [];
  /** recent run durations, for a Retry-After that means something */
  private avgMs = 1000;

  constructor(readonly maxRuns: number, readonly maxQueue: number) {}

  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `fn` when a slot is free; a queued request whose client leaves gives its place up. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.acquire(signal);
    const started = performance.now();
    try {
      return await fn();
    } finally {
      this.avgMs = this.avgMs * 0.9 + (performance.now() - started) * 0.1;
      this.release();
    }
  }

  private acquire(signal?: AbortSignal): Promise<void> {
    if (this.running < this.maxRuns) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.maxQueue) {
      const seconds = Math.max(1, Math.ceil((this.avgMs * (1 + this.waiting.length / this.maxRuns)) / 1000));
      return Promise.reject(new HttpError(503, 'server_busy', `the server is busy (${this.running} runs in flight, ${this.waiting.length} waiting); retry after ${seconds} s`, { retryAfterS: seconds }));
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { resolve, reject };
      this.waiting.push(waiter);
      signal?.addEventListener('abort', () => {
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) {
          this.waiting.splice(i, 1);
          reject(signal.reason);
        }
      }, { once: true });
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next.resolve(); // the slot passes straight to the next run
    else this.running--;
  }
}
