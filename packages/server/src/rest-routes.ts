import type { FastifyInstance } from 'fastify';
import type { RunEvent, SearchMode } from '@promptloom/core';
import { HttpError, errorBody, toHttpError } from './http-error.js';
import { runEntry } from './runner.js';
import type { Service } from './service.js';
import { SseStream, clientGoneSignal } from './sse.js';

const MODES: SearchMode[] = ['hybrid', 'vector', 'lexical'];

/** The REST API: pipelines and their runs, search. Same JSON as the CLI's --json. */
export function registerRest(app: FastifyInstance, service: Service): void {
  app.get('/v1/pipelines', async () => ({
    pipelines: service.catalog.list().map((e) => ({ name: e.name, description: e.description, where: e.where, inputs: e.inputs, chat: e.questionInput !== undefined })),
  }));

  app.post<{ Params: { name: string } }>('/v1/pipelines/:name/runs', async (request, reply) => {
    const entry = service.catalog.get(request.params.name);
    if (!entry) {
      throw new HttpError(404, 'pipeline_not_found', `no pipeline "${request.params.name}"; available: ${service.catalog.list().map((e) => e.name).join(', ')}`, { param: 'name' });
    }
    const inputs = inputsOf(request.body);
    const core = await import('@promptloom/core');
    core.parseInputs(entry.pipeline, inputs); // INPUT_INVALID (400) before taking a run slot
    const gone = clientGoneSignal(reply);
    if (!String(request.headers.accept ?? '').includes('text/event-stream')) {
      const result = await runEntry(service, { entry, inputs, signal: gone.signal });
      const summary = core.summarizeRun(result);
      if (result.status === 'ok') return summary;
      const http = toHttpError(result.error ?? new core.LoomError('RUN_ABORTED', 'the run was cancelled'));
      return reply.code(http.status).send({ ...errorBody(http), run: summary });
    }
    const sse = SseStream.open(reply);
    try {
      const onEvent = (event: RunEvent) => sse.event(event.type, event);
      const result = await runEntry(service, { entry, inputs, signal: gone.signal, listeners: [onEvent] });
      sse.event('result', core.summarizeRun(result));
    } catch (error) {
      sse.event('error', errorBody(toHttpError(error)));
    } finally {
      sse.end();
    }
  });

  app.get<{ Querystring: Record<string, string | string[] | undefined> }>('/v1/search', async (request) => {
    const q = one(request.query.q)?.trim();
    if (!q) throw new HttpError(400, 'invalid_request', 'q (the query) is required: /v1/search?q=...', { param: 'q' });
    if (q.length > service.options.maxQuestionChars) throw new HttpError(400, 'question_too_long', `q is ${q.length} characters; at most ${service.options.maxQuestionChars}`, { param: 'q' });
    const k = Number(one(request.query.k) ?? 10);
    if (!Number.isInteger(k) || k < 1 || k > 100) throw new HttpError(400, 'invalid_request', 'k must be a whole number from 1 to 100', { param: 'k' });
    const mode = (one(request.query.mode) ?? 'hybrid') as SearchMode;
    if (!MODES.includes(mode)) throw new HttpError(400, 'invalid_request', `mode must be one of ${MODES.join(', ')}`, { param: 'mode' });
    const core = await import('@promptloom/core');
    const filter = core.parseFilterFlags(many(request.query.filter));
    const store = await service.store.get();
    return store.search(q, { k, mode, lang: one(request.query.lang), filter });
  });
}

/** `{"inputs": {...}}`; a bare object of inputs is taken too. */
function inputsOf(body: unknown): Record<string, unknown> {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'invalid_request', 'the body must be a JSON object: {"inputs": {...}}');
  const b = body as Record<string, unknown>;
  if ('inputs' in b) {
    if (Object.keys(b).length > 1) throw new HttpError(400, 'invalid_request', `unknown fields beside "inputs": ${Object.keys(b).filter((k) => k !== 'inputs').join(', ')}`);
    if (typeof b.inputs !== 'object' || b.inputs === null || Array.isArray(b.inputs)) throw new HttpError(400, 'invalid_request', '"inputs" must be an object', { param: 'inputs' });
    return b.inputs as Record<string, unknown>;
  }
  return b;
}

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function many(v: string | string[] | undefined): string[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}
