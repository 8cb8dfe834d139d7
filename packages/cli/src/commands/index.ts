import type { RegisterCommand } from './types.js';
import { register as run } from './run.js';
import { register as validate } from './validate.js';
import { register as plan } from './plan.js';
import { register as ingest } from './ingest.js';
import { register as search } from './search.js';
import { register as store } from './store.js';
import { register as ask } from './ask.js';
import { register as runs } from './runs.js';
import { register as recipes } from './recipes.js';
import { register as test } from './test.js';
import { register as init } from './init.js';
import { register as evalCmd } from './eval.js';
import { register as batch } from './batch.js';
import { register as worker } from './worker.js';
import { register as sync } from './sync.js';
import { register as serve } from './serve.js';
import { register as mcp } from './mcp.js';

// Commands import core lazily inside their actions where it is heavy (providers, store),
// so `loom --help` and `loom validate` stay fast.
export const COMMANDS: RegisterCommand[] = [ask, search, ingest, sync, run, batch, worker, validate, plan, test, recipes, store, runs, evalCmd, serve, mcp, init];
