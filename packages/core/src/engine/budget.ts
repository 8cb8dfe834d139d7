import type { Semaphore } from './executor.js';

/**
 * The run's slots one attempt uses. The attempt is started holding one slot of the run's
 * limiter; its model calls run on that slot, and calls made at the same time (summarize's
 * map stage, translate's batches) borrow further slots only when the limiter has one free
 * right now. A call that finds none waits for one of its own step's slots, so a step can
 * never deadlock on slots its own attempt holds, and `--concurrency 1` means one call at a time.
 * A `pipeline` step hands its slot back while its child runs (`held` false, `children` > 0).
 */
export class AttemptSlots {
  /** the attempt holds its own slot (false while a child pipeline runs, and after the attempt) */
  held = true;
  /** false once the attempt is over: a late child must not take a slot back */
  active = true;
  /** child pipelines running on behalf of this attempt */
  children = 0;
  private ownBusy = false;
  private waiters: ((slot: SlotKind) => void)[] = [];

  constructor(private readonly limiter: Semaphore) {}

  /** Runs one model call on a slot of the run's budget. */
  async run<T>(call: () => Promise<T>): Promise<T> {
    const slot = await this.take();
    try {
      return await call();
    } finally {
      this.give(slot);
    }
  }

  private take(): SlotKind | Promise<SlotKind> {
    if (this.held && !this.ownBusy) {
      this.ownBusy = true;
      return 'own';
    }
    if (!this.held) {
      // the attempt lent its slot to a child or is over: wait for the run's limiter like anyone
      const wait = this.limiter.acquire();
      return wait ? wait.then(() => 'borrowed' as const) : 'borrowed';
    }
    if (this.limiter.tryAcquire()) return 'borrowed';
    return new Promise<SlotKind>((resolve) => this.waiters.push(resolve));
  }

  private give(slot: SlotKind): void {
    if (slot === 'own' && !this.held) {
      // the attempt ended or lent its slot while this call ran: the slot goes back to the run now
      this.ownBusy = false;
      return this.limiter.release();
    }
    const next = this.waiters.shift();
    if (next) return next(slot);
    if (slot === 'own') this.ownBusy = false;
    else this.limiter.release();
  }

  /** Gives the attempt's slot back to the run (a child pipeline runs on the same budget). */
  lend(): void {
    if (!this.held) return;
    this.held = false;
    if (!this.ownBusy) this.limiter.release();
  }

  /** Takes a slot again after `lend`; a no-op once the attempt is over. */
  async reclaim(): Promise<void> {
    if (this.held || !this.active) return;
    const wait = this.limiter.acquire();
    if (wait) await wait;
    if (this.active && !this.held) {
      this.held = true;
      this.ownBusy = false;
    } else {
      this.limiter.release();
    }
  }

  /** The attempt is over: its own slot goes back to the run (idempotent). */
  finish(): void {
    this.active = false;
    this.lend();
    // calls still queued here (an abandoned attempt) queue on the run's limiter instead
    for (const waiter of this.waiters.splice(0)) {
      const wait = this.limiter.acquire();
      if (wait) void wait.then(() => waiter('borrowed'));
      else waiter('borrowed');
    }
  }
}

type SlotKind = 'own' | 'borrowed';

/** The run's bound when nothing asks for another: 4 model calls / steps / foreach items at once. */
export const DEFAULT_CONCURRENCY = 4;

/** The run's budget: how many attempts (and model calls) may be in flight at once, and why. */
export interface RunBudget {
  limit: number;
  /** the caller gave `concurrency` (`--concurrency`): it caps every step */
  explicit: boolean;
  /** without an explicit bound, the step whose declared `concurrency:` raised the default */
  raisedBy?: string;
}

/** How many items of one foreach step run at once, and why when it is not what the step declares. */
export interface StepConcurrency {
  declared?: number;
  effective: number;
  /** set when the declared value is capped */
  cappedBy?: string;
}

/**
 * One rule, for the engine and `loom plan`: an explicit run bound caps everything; without one
 * the budget is the default (4) raised to the widest `concurrency:` a step declares, so a
 * step's declared concurrency is what a reader of the YAML gets.
 */
export function runBudget(steps: { id: string; foreach?: string; concurrency?: number }[], concurrency?: number): RunBudget {
  if (concurrency !== undefined) return { limit: concurrency, explicit: true };
  let limit = DEFAULT_CONCURRENCY;
  let raisedBy: string | undefined;
  for (const s of steps) {
    if (s.foreach !== undefined && s.concurrency !== undefined && s.concurrency > limit) {
      limit = s.concurrency;
      raisedBy = s.id;
    }
  }
  return { limit, explicit: false, raisedBy };
}

export function stepConcurrency(step: { foreach?: string; concurrency?: number }, budget: RunBudget): StepConcurrency {
  const wanted = step.concurrency ?? (budget.explicit ? budget.limit : DEFAULT_CONCURRENCY);
  const effective = Math.min(wanted, budget.limit);
  const out: StepConcurrency = { effective };
  if (step.concurrency !== undefined) out.declared = step.concurrency;
  if (step.concurrency !== undefined && effective < step.concurrency) out.cappedBy = `--concurrency ${budget.limit}`;
  return out;
}
