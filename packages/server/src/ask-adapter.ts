/*
 * The one place the server turns a question into a cited answer: the `ask` model is core's
 * `ask()` (what `loom ask` does) on the server's shared read-only store; another pipeline that
 * answers a question runs through runPipeline and its outputs are read the same way.
 */
import type { Hit, RunResult } from '@promptloom/core';
import type { CatalogEntry } from './catalog.js';
import { outputsOf, runEntry } from './runner.js';
import type { Service } from './service.js';

export interface Citation {
  n: number;
  source: string;
  heading: string;
  /** the page's address, when its front matter gives one (url, canonical_url, permalink) */
  url?: string;
  quote?: string;
}

export interface AskAnswer {
  answer: string;
  citations: Citation[];
  grounded: boolean;
  extractive: boolean;
  lang?: string;
  usage: { promptTokens: number; completionTokens: number; calls: number };
}

export interface AskRequest {
  entry: CatalogEntry;
  question: string;
  lang?: string;
  k?: number;
  signal: AbortSignal;
  onToken?: (delta: string) => void;
}

export async function askQuestion(service: Service, req: AskRequest): Promise<AskAnswer> {
  if (req.entry.name === 'ask') return askWithCore(service, req);
  const slot = req.entry.questionInput ?? 'question';
  const inputs: Record<string, unknown> = { [slot]: req.question };
  if (req.lang && 'lang' in req.entry.inputs) inputs.lang = req.lang;
  if (req.k && 'k' in req.entry.inputs) inputs.k = req.k;
  const result = await runEntry(service, { entry: req.entry, inputs, signal: req.signal, onToken: req.onToken });
  const outputs = await outputsOf(result);
  const hits = hitsOf(result);
  const citations = citationsOf(result, outputs).map((c) => withUrl(c, hits));
  return {
    answer: answerText(outputs),
    citations,
    grounded: outputs.grounded === undefined ? citations.length > 0 : outputs.grounded === true,
    extractive: outputs.extractive === true || (outputs.extractive === undefined && result.usage.calls === 0),
    lang: typeof outputs.lang === 'string' ? outputs.lang : undefined,
    usage: { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens, calls: result.usage.calls },
  };
}

async function askWithCore(service: Service, req: AskRequest): Promise<AskAnswer> {
  const core = await import('@promptloom/core');
  const signal = AbortSignal.any([req.signal, service.shutdown.signal]);
  const result = await service.gate.run(() => core.ask({
    question: req.question, lang: req.lang, k: req.k, store: service.store.dir, model: service.models?.default,
    pipeline: req.entry.pipeline, recipeDirs: service.catalog.dirs, env: service.options.env, cwd: service.options.cwd,
    // read-only: no call cache and no ledger written into the store
    cache: false, ledger: false, openStore: () => service.store.forRun(),
    signal, onToken: req.onToken, onEvent: service.metrics.onRunEvent,
  }), signal).catch((error: unknown) => {
    service.metrics.runs.inc({ pipeline: 'ask', status: signal.aborted ? 'cancelled' : 'failed' });
    throw error;
  });
  service.metrics.runs.inc({ pipeline: 'ask', status: 'ok' });
  return {
    // the extractive banner stays in the text a chat client shows
    answer: result.banner ? `${result.banner}\n${result.answer}` : result.answer,
    citations: result.citations.map((c) => ({ n: c.n, source: c.source, heading: c.heading ?? '', ...(c.url ? { url: c.url } : {}), ...(c.quote ? { quote: c.quote } : {}) })),
    grounded: result.grounded, extractive: result.extractive, lang: result.lang,
    usage: { promptTokens: result.usage.promptTokens, completionTokens: result.usage.completionTokens, calls: result.usage.calls },
  };
}

/** `answer` when the pipeline has one, else its only (or first) text output. */
function answerText(outputs: Record<string, unknown>): string {
  if (typeof outputs.answer === 'string') return outputs.answer;
  const texts = Object.values(outputs).filter((v): v is string => typeof v === 'string');
  return texts[0] ?? JSON.stringify(outputs, null, 2);
}

/** The pipeline's `citations` output, else those of its answer steps (a bilingual answer has two). */
function citationsOf(result: RunResult, outputs: Record<string, unknown>): Citation[] {
  const lists = Array.isArray(outputs.citations)
    ? [outputs.citations]
    : Object.values(result.steps).filter((s) => s.kind === 'answer').map((s) => (s.output as { citations?: unknown })?.citations);
  const seen = new Set<string>();
  const out: Citation[] = [];
  for (const list of lists) {
    for (const c of Array.isArray(list) ? (list as Citation[]) : []) {
      const key = `${c.n}\u0000${c.source}\u0000${c.heading}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ n: c.n, source: c.source, heading: c.heading ?? '', ...(c.quote ? { quote: c.quote } : {}) });
    }
  }
  return out;
}

function hitsOf(result: RunResult): Hit[] {
  return Object.values(result.steps).flatMap((s) => {
    const hits = (s.output as { hits?: unknown } | undefined)?.hits;
    return Array.isArray(hits) ? (hits as Hit[]) : [];
  });
}

const URL_KEYS = ['url', 'canonical_url', 'permalink', 'source_url'];

/**
 * A hit's page address: its provenance URL (synced pages), else a front-matter URL; only
 * http(s), since the page turns it into a link (never javascript:).
 */
export function urlOfHit(hit: Pick<Hit, 'url' | 'metadata'>): string | undefined {
  const candidates = [hit.url, ...URL_KEYS.map((key) => hit.metadata?.[key])];
  return candidates.find((v): v is string => typeof v === 'string' && /^https?:\/\//i.test(v));
}

function withUrl(c: Citation, hits: Hit[]): Citation {
  const hit = hits.find((h) => h.source === c.source && urlOfHit(h));
  return hit ? { ...c, url: urlOfHit(hit) } : c;
}
