import { InvalidArgumentError } from 'commander';
import type { Io } from '../io.js';
import { stopSignal, type RegisterCommand } from './types.js';
import { STORE_HELP, storeAt } from '../store-flag.js';

interface ServeFlags {
  store?: string;
  host: string;
  port: number;
  model?: string;
  pipelines?: string;
  apiKey: string[];
  allowAnonymous?: boolean;
  cors: string[];
  bodyLimit?: number;
  maxQuestion?: number;
  rateLimit?: number;
  maxRuns?: number;
  queue?: number;
  workers: number;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function whole(min: number, max: number): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return n;
  };
}

/** 512k, 2m, 1048576: bytes */
function bytes(value: string): number {
  const m = /^(\d+)\s*([kKmM]?)[bB]?$/.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a size such as 512k, 2m or 1048576');
  return Number(m[1]) * (m[2].toLowerCase() === 'm' ? 1024 * 1024 : m[2].toLowerCase() === 'k' ? 1024 : 1);
}

async function serveCommand(flags: ServeFlags, io: Io): Promise<void> {
  const core = await import('@promptloom/core');
  const server = await import('@promptloom/server');
  const store = storeAt(flags.store, io).location;
  const handle = await server.serve({
    store, host: flags.host, port: flags.port, model: flags.model, pipelinesDir: flags.pipelines, cwd: io.cwd, env: io.env,
    apiKeys: flags.apiKey, allowAnonymous: flags.allowAnonymous === true, corsOrigins: flags.cors,
    bodyLimitBytes: flags.bodyLimit, maxQuestionChars: flags.maxQuestion, rateLimitPerMinute: flags.rateLimit,
    maxRuns: flags.maxRuns, maxQueue: flags.queue,
    log: (line) => io.stderr.write(`${line}\n`),
  }, flags.workers);
  // a cluster worker reports to the primary, which prints the one line
  if (handle.announce) io.stdout.write(`listening ${handle.url}\n`);
  await stopSignal();
  await handle.stop();
}

export const register: RegisterCommand = (program, io) => {
  program
    .command('serve')
    .description('serve the store: an OpenAI-compatible API, a REST API, MCP at /mcp and a page at /')
    .option('--store <dir>', STORE_HELP)
    .option('--host <host>', 'address to bind', '127.0.0.1')
    .option('--port <port>', 'port (0 picks a free one)', whole(0, 65535), 8787)
    .option('--model <provider:name>', 'model for generated answers and follow-up questions (default: $LOOM_MODEL; none: extractive)')
    .option('--pipelines <dir>', 'a folder of project pipelines to serve beside the recipes')
    .option('--api-key <key>', 'a bearer key clients must send (repeatable; also $LOOM_API_KEYS, comma-separated)', collect, [])
    .option('--allow-anonymous', 'serve a non-loopback address without keys')
    .option('--cors <origin>', 'allow browser pages from this origin (repeatable; default: CORS off)', collect, [])
    .option('--body-limit <size>', 'largest request body, e.g. 512k or 2m (default 1m, at most 10m)', bytes)
    .option('--max-question <chars>', 'longest question in characters (default 4000)', whole(10, 1_000_000))
    .option('--rate-limit <n>', 'requests per minute per key (per address when anonymous); 0 = none (default 120)', whole(0, 1_000_000))
    .option('--max-runs <n>', 'answers and pipeline runs in flight at once (default 16)', whole(1, 10_000))
    .option('--queue <n>', 'runs that may wait for a slot before 503 (default 64)', whole(0, 100_000))
    .option('--workers <n>', 'server processes sharing the port (node:cluster)', whole(1, 64), 1)
    .addHelpText('after', `
Prints one line, "listening http://HOST:PORT", once it is ready. SIGTERM or Ctrl-C: stops accepting,
finishes the requests in flight, and exits within 10 s.

Examples:
  loom serve                                     # http://127.0.0.1:8787, offline extractive answers
  loom serve --model openai:gpt-4o-mini --api-key "$(openssl rand -hex 24)" --host 0.0.0.0
  curl -s localhost:8787/v1/chat/completions -H 'content-type: application/json' \\
    -d '{"model":"ask","messages":[{"role":"user","content":"How do I configure retries?"}]}'`)
    .action((flags: ServeFlags) => serveCommand(flags, io));
};


