import type { Executor, ExecutorTask } from './types.js';

/** Runs each attempt right here, in this process: the default executor. */
export const inProcessExecutor: Executor = {
  execute<T>(task: ExecutorTask<T>): Promise<T> {
    return task.run();
  },
};

/**
 * A counting semaphore: the run's global bound and each foreach's own bound.
 * `acquire` returns undefined when a slot is free at once, so the common path costs no promise.
 */
export class Semaphore {
  private active = 0;
  private waiters: (() => void)[] = [];
  private head = 0;

  constructor(private size: number) {}

  /** how many slots there are */
  get limit(): number {
    return this.size;
  }

  acquire(): Promise<void> | undefined {
    if (this.active < this.size) {
      this.active++;
      return undefined;
    }
    return new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  /** Takes a slot only if one is free now; never queues. */
  tryAcquire(): boolean {
    if (this.active >= this.size || this.head < this.waiters.length) return false;
    this.active++;
    return true;
  }

  /**
   * Raises the bound (never lowers it) and starts waiters on the new slots: a child pipeline
   * that declares a wider step than the run's default widens the shared budget.
   */
  grow(limit: number): void {
    while (this.size < limit) {
      this.size++;
      if (this.head < this.waiters.length) {
        this.active++;
        const next = this.waiters[this.head];
        this.waiters[this.head++] = noop;
        next();
      }
    }
  }

  /** Hands the slot straight to the oldest waiter, or frees it. */
  release(): void {
    if (this.head < this.waiters.length) {
      const next = this.waiters[this.head];
      this.waiters[this.head++] = noop;
      if (this.head > 1024 && this.head * 2 > this.waiters.length) {
        this.waiters = this.waiters.slice(this.head);
        this.head = 0;
      }
      next();
    } else {
      this.active--;
    }
  }

  get inUse(): number {
    return this.active;
  }
}

function noop(): void {}
