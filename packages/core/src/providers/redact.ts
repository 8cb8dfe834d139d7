// Secrets must never reach a terminal, an event, a log or the run ledger. Every string that
// leaves the provider layer goes through `redact`.

const knownSecrets = new Set<string>();

/** Remembers a secret (an API key actually used) so `redact` removes it even from odd places. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) knownSecrets.add(value);
}

const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL)/i;
const PATTERNS: [RegExp, string][] = [
  [/\bsk-[A-Za-z0-9_-]{6,}/g, 'sk-***'],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/gi, '$1 ***'],
  [/\b(api[_-]?key|authorization|x-api-key)(["']?\s*[:=]\s*["']?)(?!Bearer\b|Basic\b|\*\*\*)[^\s"',}]{6,}/gi, '$1$2***'],
];

/**
 * Removes anything that looks like an API key (sk-…, Bearer …, api_key=…), every key registered
 * with `registerSecret`, and the values of secret-looking variables of `env` (names containing
 * KEY, TOKEN, SECRET, PASSWORD), plus the values of `names` (e.g. a model's api_key_env).
 */
export function redact(text: string, env?: Record<string, string | undefined>, names: string[] = []): string {
  let out = redactSecrets(text, env, names);
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** The secret values `redact` removes by value, longest first (so a key containing another goes whole). */
export function secretValues(env?: Record<string, string | undefined>, names: string[] = []): string[] {
  const values = new Set(knownSecrets);
  if (env) {
    for (const [name, value] of Object.entries(env)) {
      if (value && value.length >= 6 && (SECRET_NAME.test(name) || names.includes(name))) values.add(value);
    }
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/**
 * Only the known secret values, not the look-alike patterns: for model output, where
 * "Authorization: Bearer <token>" in an answer about an API is content, but our own key
 * (e.g. echoed back by a hostile server) must never reach the user.
 */
export function redactSecrets(text: string, env?: Record<string, string | undefined>, names: string[] = []): string {
  let out = text;
  for (const value of secretValues(env, names)) out = out.split(value).join('***');
  return out;
}

/**
 * redactSecrets over a stream of deltas. Only a tail that could be the start of a secret is held
 * back (usually nothing), so a key split across two deltas is still caught and ordinary text
 * streams without delay. `end()` gives what is left.
 */
export function streamRedactor(env?: Record<string, string | undefined>): { push(delta: string): string; end(): string } {
  const secrets = secretValues(env);
  let pending = '';
  return {
    push(delta) {
      if (secrets.length === 0) return delta;
      pending = redactSecrets(pending + delta, env);
      const keep = secretPrefixAtEnd(pending, secrets);
      const out = pending.slice(0, pending.length - keep);
      pending = pending.slice(out.length);
      return out;
    },
    end() {
      const out = redactSecrets(pending, env);
      pending = '';
      return out;
    },
  };
}

/** Length of the longest end of `text` that is the beginning of a secret (a key still arriving). */
function secretPrefixAtEnd(text: string, secrets: string[]): number {
  let best = 0;
  for (const secret of secrets) {
    for (let n = Math.min(secret.length - 1, text.length); n > best; n--) {
      if (text.endsWith(secret.slice(0, n))) {
        best = n;
        break;
      }
    }
  }
  return best;
}
