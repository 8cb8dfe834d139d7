import { LoomError } from '../../errors.js';
import type { SourceRun } from '../context.js';

export async function syncGit(run: SourceRun): Promise<void> {
  throw new LoomError('SYNC_SOURCE_FAILED', `source ${run.source.name}: git sources are not synced by this version yet`);
}
