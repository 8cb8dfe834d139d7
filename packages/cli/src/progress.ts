import type { Io } from './io.js';
import { isInteractive } from './io.js';

export interface Progress {
  start(total: number, label?: string): void;
  update(done: number, extra?: string): void;
  increment(by?: number): void;
  stop(): void;
}

const quiet: Progress = { start() {}, update() {}, increment() {}, stop() {} };

/**
 * Bars that are drawing. A started bar owns a redraw timer that keeps Node alive, so a bar a
 * command forgot (or lost to an error) would hang the process after its last line: main() stops
 * whatever is left here when a command returns or throws.
 */
const live = new Set<Progress>();

export function stopAllProgress(): void {
  for (const bar of [...live]) bar.stop();
}

/**
 * A progress bar with counts and rate on a terminal; nothing at all in pipes and CI,
 * where the command's summary line is the record.
 */
export async function createProgress(io: Io, label: string): Promise<Progress> {
  if (!isInteractive(io)) return quiet;
  const { default: cliProgress } = await import('cli-progress');
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} {percentage}% | {rate}/s | eta {eta_formatted} {extra}`,
      stream: io.stderr as NodeJS.WritableStream,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let t0 = Date.now();
  let done = 0;
  const payload = (extra = '') => ({ rate: (done / Math.max(0.001, (Date.now() - t0) / 1000)).toFixed(1), extra });
  const progress: Progress = {
    start(total, l) { t0 = Date.now(); done = 0; live.add(progress); bar.start(total, 0, payload(l ?? '')); },
    update(d, extra) { done = d; bar.update(d, payload(extra)); },
    increment(by = 1) { done += by; bar.update(done, payload()); },
    stop() { live.delete(progress); bar.stop(); },
  };
  return progress;
}
