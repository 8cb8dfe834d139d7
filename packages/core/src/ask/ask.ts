import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LoomError, isLoomError } from '../errors.js';
import { defaultRecipeDirs } from '../locate/recipes.js';
import { requireStore, type StoreLocation } from '../locate/store.js';
import type { ModelConfig, LoadedPipeline } from '../spec/types.js';
import type { RunEventListener, RunOptions, RunResult, StepRecord } from '../engine/types.js';
import type { Hit } from '../store/types.js';
import { extractiveNote } from '../steps/lib/answer-text.js';

/*
 * What `loom ask` does, as a library call: find the store (the one store rule), run the `ask`
 * recipe over it with the run recorded in the store's ledger, and shape the outputs. The CLI,
 * `loom serve` and library users all go through here.
 */

export interface AskOptions {
  question: string;
  /** the store (folder or URL); else LOOM_STORE, else ./.loom (locate/store.ts) */
  store?: string;
  /** language of the answer (e.g. 'en', 'zh'); default the question's */
  lang?: string;
  /** passages to retrieve (1-200, default 6) */
  k?: number;
  /** metadata filter for retrieval: source=<glob>, tag=<tag>, lang=<code>, or a front-matter key */
  filter?: Record<string, string>;
  /** model for the answer: 'openai:gpt-4o-mini', a ModelConfig; default LOOM_MODEL, else extractive */
  model?: string | ModelConfig;
  /** LangChain chat models by models: name (e.g. { default: new ChatOpenAI(...) }) */
  chatModels?: Record<string, unknown>;
  signal?: AbortSignal;
  /** the answer's tokens as they stream from the model */
  onToken?: (delta: string) => void;
  /** run events (step-start, step-end, model calls ...) */
  onEvent?: RunEventListener;
  /** false bypasses the model call cache */
  cache?: boolean;
  /** false: do not record the run in the store's ledger (default: recorded when the store is a folder) */
  ledger?: boolean;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** recipe folders searched for `ask`; default ./recipes, the user folder, the shipped recipes */
  recipeDirs?: string[];
  /** another answering pipeline instead of the `ask` recipe (inputs: question, k, lang, filter) */
  pipeline?: LoadedPipeline;
  /** opens the store instead of openStore (e.g. a server's shared read-only handle) */
  openStore?: RunOptions['openStore'];
}

export interface AskCitation {
  n: number;
  source: string;
  heading: string;
  /** the page's address, from its front matter (url, canonical_url, permalink, source_url), http(s) only */
  url?: string;
  quote?: string;
  /** the cited chunk's id in the store */
  id?: string;
}

export interface AskResult {
  answer: string;
  citations: AskCitation[];
  /** every claim of the answer is backed by a cited passage */
  grounded: boolean;
  /** quoted sentences rather than a generated answer (no model configured) */
  extractive: boolean;
  lang?: string;
  /** the line that leads an extractive answer ("Extractive answer (no model configured; …):"), kept out of `answer` */
  banner?: string;
  /** a note for the reader, e.g. that the answer is extractive and how to get generated ones */
  note?: string;
  warnings: string[];
  store: StoreLocation;
  runId: string;
  usage: RunResult['usage'];
}

export const EXTRACTIVE_NOTE =
  'no model configured, so this answer is extractive (quoted sentences, not generated). ' +
  'For generated answers: --model openai:NAME with OPENAI_BASE_URL=http://HOST:PORT/v1 (any OpenAI-compatible server), or set LOOM_MODEL.';

/** Answers a question from the store, with checked citations. Throws LoomError when the run fails. */
export async function ask(options: AskOptions): Promise<AskResult> {
  const question = options.question?.trim();
  if (!question) throw new LoomError('USAGE', 'ask needs a question', { hint: 'e.g. ask({ question: "How do I configure retries?" })' });
  const k = options.k ?? 6;
  if (!Number.isInteger(k) || k < 1 || k > 200) throw new LoomError('USAGE', `k must be a whole number from 1 to 200 (got ${k})`);
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const core = await import('../index.js');
  const store = options.openStore ? core.locateStore({ flag: options.store, env, cwd }) : requireStore({ flag: options.store, env, cwd });
  const pipeline = options.pipeline ?? (await core.loadPipeline(askRecipe(options.recipeDirs ?? defaultRecipeDirs({ cwd, env }))));
  const listeners: RunEventListener[] = options.onEvent ? [options.onEvent] : [];
  const warnings: string[] = [];
  if (options.ledger !== false && store.kind === 'dir') {
    try {
      listeners.push(core.createLedger(store.location, { env }).listener);
    } catch (error) {
      // a store on a read-only disk still answers; only the record of the run is lost
      warnings.push(`this run is not recorded in the ledger: ${core.toLoomError(error).message}`);
    }
  }
  const inputs: Record<string, unknown> = { question, k, ...(options.lang ? { lang: options.lang } : {}), ...(options.filter ? { filter: options.filter } : {}) };
  const result = await core.runPipeline(pipeline, inputs, {
    store: store.location, env, cache: options.cache, signal: options.signal, onToken: options.onToken, listeners,
    models: modelsOf(core, options.model), chatModels: options.chatModels, recipeDirs: options.recipeDirs,
    openStore: options.openStore ?? readOnlyFallback(core),
  });
  return shape(result, store, warnings);
}

type Core = typeof import('../index.js');

function askRecipe(dirs: readonly string[]): string {
  for (const dir of dirs) {
    for (const ext of ['.yaml', '.yml']) {
      const file = join(dir, `ask${ext}`);
      if (existsSync(file)) return file;
    }
  }
  throw new LoomError('SPEC_NOT_FOUND', 'the `ask` recipe was not found', {
    hint: `it ships in @promptloom/recipes: install it beside @promptloom/core, or pass recipeDirs / pipeline (looked in: ${dirs.join(', ') || 'no recipe folders'})`,
  });
}

function modelsOf(core: Core, model: AskOptions['model']): Record<string, ModelConfig> | undefined {
  if (model === undefined) return undefined;
  return { default: typeof model === 'string' ? core.parseModelFlag(model) : model };
}

/** Read-write so that an index repaired on open is saved; a store on read-only media still answers. */
function readOnlyFallback(core: Core): RunOptions['openStore'] {
  return async (dir, { env }) => {
    try {
      return await core.openStore(dir, { env });
    } catch (error) {
      if (isLoomError(error) && error.code === 'STORE_IO') return core.openStore(dir, { env, readonly: true });
      throw error;
    }
  };
}

function shape(result: RunResult, store: StoreLocation, warnings: string[]): AskResult {
  if (result.status === 'cancelled') throw new LoomError('RUN_ABORTED', 'interrupted: no answer');
  if (result.status !== 'ok') throw result.error ?? new LoomError('RUN_STEP_FAILED', 'the ask pipeline failed');
  const o = result.outputs as Record<string, unknown>;
  const extractive = o.extractive === true;
  const hits = Object.values(result.steps).flatMap(hitsOf);
  for (const record of Object.values(result.steps)) {
    for (const w of record.warnings) {
      // the note below says it better than the step's own warning
      if (extractive && /no model configured/.test(w)) continue;
      warnings.push(`step "${record.id}": ${w}`);
    }
  }
  const citations = (Array.isArray(o.citations) ? (o.citations as AskCitation[]) : []).map((c) => citation(c, hits));
  const { answer, banner } = splitBanner(String(o.answer ?? ''), typeof o.lang === 'string' ? o.lang : 'en');
  return {
    answer, ...(banner ? { banner } : {}), citations, grounded: o.grounded === true, extractive,
    ...(typeof o.lang === 'string' ? { lang: o.lang } : {}),
    ...(extractive ? { note: EXTRACTIVE_NOTE } : {}),
    warnings, store, runId: result.runId, usage: result.usage,
  };
}

/** The answer step leads an extractive answer with a one-line banner; a caller gets it as a field. */
function splitBanner(text: string, lang: string): { answer: string; banner?: string } {
  const banner = [extractiveNote(lang, true), extractiveNote(lang, false), extractiveNote('en', true), extractiveNote('en', false)].find((b) => text.startsWith(b));
  return banner ? { answer: text.slice(banner.length).trimStart(), banner } : { answer: text };
}

function hitsOf(record: StepRecord): Hit[] {
  const hits = (record.output as { hits?: unknown } | undefined)?.hits;
  return Array.isArray(hits) ? (hits as Hit[]) : [];
}

const URL_KEYS = ['url', 'canonical_url', 'permalink', 'source_url'];

/** A page's link from its front matter; only http(s), so an answer never links javascript:. */
export function pageUrl(metadata: Record<string, unknown> | undefined): string | undefined {
  for (const key of URL_KEYS) {
    const v = metadata?.[key];
    if (typeof v === 'string' && /^https?:\/\//i.test(v)) return v;
  }
  return undefined;
}

function citation(c: AskCitation, hits: Hit[]): AskCitation {
  const url = pageUrl(hits.find((h) => h.source === c.source && pageUrl(h.metadata))?.metadata);
  return { n: c.n, source: c.source, heading: c.heading ?? '', ...(url ? { url } : {}), ...(c.quote ? { quote: c.quote } : {}), ...(c.id ? { id: c.id } : {}) };
}
