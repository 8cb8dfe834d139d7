import { LoomError } from '../../errors.js';
import type { SourceRun } from '../context.js';

export async function syncDiscourse(run: SourceRun): Promise<void> {
  throw new LoomError('SYNC_SOURCE_FAILED', `source ${run.source.name}: discourse sources are not synced by this version yet`);
}
