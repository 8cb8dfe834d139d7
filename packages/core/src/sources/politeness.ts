import { sleep } from '../engine/retry.js';
import type { HttpResponse } from './http.js';

interface Robots {
  isAllowed(url: string, ua?: string): boolean | undefined;
}

/**
 * What one sync owes each host, shared by all its sources: requests spaced by the `rate`
 * (a schedule per host, so concurrent requests queue rather than burst) and robots.txt, fetched
 * once per origin. A robots.txt answering 404 allows everything; one that cannot be read (5xx,
 * network) disallows the host for this run, as RFC 9309 says.
 */
export class HostGate {
  private readonly next = new Map<string, number>();
  private readonly robots = new Map<string, Promise<Robots | 'all' | 'none'>>();

  async wait(url: string, rate: number, signal?: AbortSignal): Promise<void> {
    if (!(rate > 0)) return;
    const host = new URL(url).host;
    const now = Date.now();
    const at = Math.max(now, this.next.get(host) ?? 0);
    this.next.set(host, at + 1000 / rate);
    if (at > now) await sleep(at - now, signal ?? new AbortController().signal);
  }

  async allowed(url: string, get: (url: string) => Promise<HttpResponse>, userAgent: string): Promise<boolean> {
    const origin = new URL(url).origin;
    let rules = this.robots.get(origin);
    if (!rules) {
      rules = readRobots(`${origin}/robots.txt`, get);
      this.robots.set(origin, rules);
    }
    const r = await rules;
    if (r === 'all') return true;
    if (r === 'none') return false;
    return r.isAllowed(url, userAgent) !== false;
  }
}

async function readRobots(url: string, get: (url: string) => Promise<HttpResponse>): Promise<Robots | 'all' | 'none'> {
  let res: HttpResponse;
  try {
    res = await get(url);
  } catch (error) {
    // 4xx other than 404/410 means "no rules" too (RFC 9309 2.3.1.3); 5xx and network: unreachable
    const status = /HTTP (\d{3})/.exec((error as Error).message)?.[1];
    return status && Number(status) < 500 ? 'all' : 'none';
  }
  if (res.gone || res.status !== 200) return 'all';
  const { default: robotsParser } = await import('robots-parser');
  return (robotsParser as unknown as (u: string, body: string) => Robots)(url, res.body.toString('utf8'));
}
