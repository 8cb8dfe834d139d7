import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Bearer keys, compared in constant time: every key's digest is compared (no early exit), and
 * digests have one length whatever the key's, so neither timing nor length tells a guess apart.
 */
export class KeyRing {
  private readonly digests: Buffer[];

  constructor(keys: readonly string[]) {
    this.digests = keys.map(digest);
  }

  get enabled(): boolean {
    return this.digests.length > 0;
  }

  /** An id for the key that matched (for rate limits and metrics; never the key), or undefined. */
  check(header: string | undefined): string | undefined {
    const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
    const given = digest(match?.[1] ?? '');
    let found = -1;
    for (let i = 0; i < this.digests.length; i++) {
      if (timingSafeEqual(given, this.digests[i]) && match) found = i;
    }
    return found >= 0 ? `key${found + 1}` : undefined;
  }
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key).digest();
}
