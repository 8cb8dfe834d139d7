import { describe, expect, it } from 'vitest';
import { redact, redactSecrets, streamRedactor } from '../../packages/core/src/providers/redact.js';

// Model output is untrusted: a hostile server can put our own key into an answer. It is removed
// by value; look-alikes in an answer about an API ("Bearer <token>") are content and stay.
const KEY = 'sk-redact-test-0123456789abcdef';
const env = { OPENAI_API_KEY: KEY, HOME: '/root' };

describe('redacting model output', () => {
  it('removes a known key but keeps key-like examples that are content', () => {
    const answer = `Your key is ${KEY}. Send "Authorization: Bearer YOUR_TOKEN_HERE" and api_key=abcdefgh.`;
    expect(redactSecrets(answer, env)).toBe('Your key is ***. Send "Authorization: Bearer YOUR_TOKEN_HERE" and api_key=abcdefgh.');
    // the error/log redactor is stricter: it also masks anything shaped like a credential
    expect(redact(answer, env)).not.toContain('YOUR_TOKEN_HERE');
  });

  it('catches a key split across stream deltas, whatever the split', () => {
    const text = `before ${KEY} middle ${KEY}${KEY} after`;
    for (const size of [1, 2, 3, 7, 13, KEY.length - 1, KEY.length, 100]) {
      const r = streamRedactor(env);
      let out = '';
      const seen: string[] = [];
      for (let i = 0; i < text.length; i += size) {
        const piece = r.push(text.slice(i, i + size));
        seen.push(piece);
        out += piece;
      }
      out += r.end();
      expect(out, `deltas of ${size}`).toBe('before *** middle ****** after');
      for (const piece of seen) expect(piece).not.toContain(KEY.slice(0, 12));
    }
  });

  it('holds nothing back from ordinary text (streaming stays live)', () => {
    const r = streamRedactor(env);
    const deltas = ['检索', ' then', ' answer', ' with', ' a citation', ' [1].'];
    expect(deltas.map((d) => r.push(d))).toEqual(deltas);
    expect(r.end()).toBe('');
    // a delta ending in "s" could be the start of "sk-…": that one character waits for the next delta
    expect(r.push(' citations')).toBe(' citation');
    expect(r.push(' [2]')).toBe('s [2]');
  });

  it('holds back only a tail that could start the key, and releases it when it does not', () => {
    const r = streamRedactor(env);
    expect(r.push('use sk-re')).toBe('use ');
    expect(r.push('ally good')).toBe('sk-really good');
    expect(r.end()).toBe('');
  });
});
