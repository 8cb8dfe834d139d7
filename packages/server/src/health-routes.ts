import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type { Service } from './service.js';

const MODEL_CHECK_TTL_MS = 10_000;

/** Probes for load balancers (no key needed) and Prometheus metrics. */
export function registerHealth(app: FastifyInstance, service: Service): void {
  // `worker` tells replicas apart behind --workers (0: a single process)
  app.get('/healthz', async () => ({ status: 'ok', worker: cluster.worker?.id ?? 0 }));

  let modelCheck: { at: number; result: Promise<{ ok: boolean; detail: string }> } | undefined;
  const checkModel = () => {
    if (!modelCheck || Date.now() - modelCheck.at > MODEL_CHECK_TTL_MS) modelCheck = { at: Date.now(), result: modelReachable(service) };
    return modelCheck.result;
  };

  app.get('/readyz', async (_request, reply) => {
    const store = await service.store.get().then(
      async (s) => {
        const info = await s.info();
        return { ok: true, chunks: info.chunks, generation: info.hnsw.storeGeneration };
      },
      (error: Error) => ({ ok: false, error: error.message }),
    );
    const model = service.models ? await checkModel() : { ok: true, detail: 'none configured (extractive answers)' };
    const ready = store.ok && model.ok;
    return reply.code(ready ? 200 : 503).send({ ready, store, model });
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await service.metrics.registry.metrics();
    return reply.type(service.metrics.registry.contentType).send(text);
  });
}

/** GET {base}/models on the configured server, with a short deadline; never includes the key. */
async function modelReachable(service: Service): Promise<{ ok: boolean; detail: string }> {
  const config = service.models!.default;
  const base = (config.base_url ?? service.options.env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1').replace(/\/+$/, '');
  const key = service.options.env[config.api_key_env ?? 'OPENAI_API_KEY'];
  try {
    const res = await fetch(`${base}/models`, { headers: key ? { authorization: `Bearer ${key}` } : {}, signal: AbortSignal.timeout(3_000) });
    return { ok: res.status < 500 && res.status !== 401 && res.status !== 403, detail: `${config.model} at ${base}: HTTP ${res.status}` };
  } catch (error) {
    return { ok: false, detail: `${config.model} at ${base}: ${(error as Error).message}` };
  }
}
