import { LoomError } from '../../errors.js';
import type { SourceRun } from '../context.js';

export async function syncGithub(run: SourceRun): Promise<void> {
  throw new LoomError('SYNC_SOURCE_FAILED', `source ${run.source.name}: github sources are not synced by this version yet`);
}
