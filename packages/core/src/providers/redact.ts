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
  let out = text;
  const values = new Set(knownSecrets);
  if (env) {
    for (const [name, value] of Object.entries(env)) {
      if (value && value.length >= 6 && (SECRET_NAME.test(name) || names.includes(name))) values.add(value);
    }
  }
  // longest first, so a key that contains another is removed whole
  for (const value of [...values].sort((a, b) => b.length - a.length)) out = out.split(value).join('***');
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

/** `redact` over every string inside a JSON-like value (for events and ledger rows). */
export function redactDeep<T>(value: T, env?: Record<string, string | undefined>): T {
  if (typeof value === 'string') return redact(value, env) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, env)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = redactDeep(v, env);
    return out as T;
  }
  return value;
}
