import { describe, expect, it } from 'vitest';
import { LoomError } from '../errors.js';
import { parseQueueUrl, safeUrl } from './connection.js';
import { stepJobId } from './job.js';
import { parseRate } from './rate.js';

describe('queue flags', () => {
  it.each([
    ['60/min', { max: 60, durationMs: 60_000 }],
    ['5/s', { max: 5, durationMs: 1000 }],
    ['1000/hour', { max: 1000, durationMs: 3_600_000 }],
    ['10/30s', { max: 10, durationMs: 30_000 }],
    [' 2 / 5 sec ', { max: 2, durationMs: 5000 }],
  ])('--rate %j', (text, rate) => {
    expect(parseRate(text)).toEqual(rate);
  });

  it.each(['60', '0/min', '-1/s', '5/fortnight', '5/0s', 'x/min'])('--rate %j is refused with USAGE', (text) => {
    expect(() => parseRate(text)).toThrow(expect.objectContaining({ code: 'USAGE' }) as LoomError);
  });

  it.each(['redis://127.0.0.1:6379', 'rediss://user:pw@host:6380/2'])('--queue %j is accepted', (url) => {
    expect(parseQueueUrl(url)).toBe(url);
  });

  it.each(['127.0.0.1:6379', 'http://127.0.0.1:6379', 'postgres://x@h/db'])('--queue %j is refused with USAGE', (url) => {
    expect(() => parseQueueUrl(url)).toThrow(expect.objectContaining({ code: 'USAGE' }) as LoomError);
  });

  it('passwords never reach messages', () => {
    expect(safeUrl('redis://user:hunter2@host:6379')).toBe('redis://user:***@host:6379');
    let message = '';
    try {
      parseQueueUrl('http://u:hunter2@h');
    } catch (error) {
      message = (error as LoomError).message;
    }
    expect(message).toContain('is not a redis:// URL');
    expect(message).not.toContain('hunter2');
  });

  it('job ids: run, step, item and attempt; no ":" (BullMQ refuses it)', () => {
    expect(stepJobId('0b1c', 'each', 3, 2)).toBe('0b1c.each.3.2');
    expect(stepJobId('0b1c', 'sub/inner', undefined, 1)).toBe('0b1c.sub/inner.step.1');
  });
});
