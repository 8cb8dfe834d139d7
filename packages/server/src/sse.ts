import type { FastifyReply } from 'fastify';

/**
 * A text/event-stream response written straight to the socket (Fastify steps aside: `hijack`).
 * Pair it with `clientGoneSignal`, so that a client leaving mid-stream cancels the run behind it
 * (and the model call behind that) instead of it finishing for nobody.
 */
export class SseStream {
  private ended = false;

  private constructor(private readonly reply: FastifyReply) {}

  static open(reply: FastifyReply): SseStream {
    const stream = new SseStream(reply);
    reply.hijack();
    // headers set by hooks (CORS) are only on the reply object: carry them over
    const headers = { ...reply.getHeaders(), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };
    reply.raw.writeHead(200, headers as Record<string, string>);
    reply.raw.flushHeaders();
    return stream;
  }

  get open(): boolean {
    return !this.ended && !this.reply.raw.destroyed;
  }

  data(value: unknown): void {
    if (this.open) this.reply.raw.write(`data: ${typeof value === 'string' ? value : JSON.stringify(value)}\n\n`);
  }

  event(name: string, value: unknown): void {
    if (this.open) this.reply.raw.write(`event: ${name}\ndata: ${JSON.stringify(value)}\n\n`);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (!this.reply.raw.destroyed) this.reply.raw.end();
  }
}

/** An AbortController that fires when the client disconnects before the response is complete. */
export function clientGoneSignal(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client disconnected'));
  });
  return controller;
}
