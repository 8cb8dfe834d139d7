import { readFile } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LoomError } from '../../errors.js';
import { createSafeLiquid } from '../../spec/template.js';

/*
 * Prompt templates: Liquid files shipped in packages/core/prompts/ (`<kind>.<role>.liquid`),
 * overridable per step from the YAML with `system:` / `prompt:` (template text) or
 * `prompts:` (a folder holding files with the shipped names). The scope holds only what the
 * step passes in (question, passages, text, ...): never the environment or a key.
 */

/** packages/core/prompts, from both src/steps/lib (vitest) and dist/steps/lib (built) */
export const PROMPTS_DIR = fileURLToPath(new URL('../../../prompts/', import.meta.url));

// overrides come from the YAML: the same guarded Liquid as pipeline templates (no file tags, bounded)
const liquid = createSafeLiquid({
  strictVariables: true,
  strictFilters: true,
  lenientIf: true,
  ownPropertyOnly: true,
  outputEscape: undefined,
  cache: 64,
});

export type PromptRole = 'system' | 'user';

export interface PromptOverrides {
  system?: string;
  prompt?: string;
  prompts?: string;
}

const fileCache = new Map<string, Promise<string>>();
// liquidjs's `cache` option only covers renderFile: parseAndRender would re-parse the same
// template on every model call (8 renders per summarize call)
const parsedTemplates = new Map<string, ReturnType<typeof liquid.parse>>();

function readCached(path: string): Promise<string> {
  let p = fileCache.get(path);
  if (!p) {
    p = readFile(path, 'utf8');
    fileCache.set(path, p);
    p.catch(() => fileCache.delete(path));
  }
  return p;
}

async function templateText(kind: string, role: PromptRole, overrides: PromptOverrides, baseDir: string): Promise<{ text: string; origin: string }> {
  const inline = role === 'system' ? overrides.system : overrides.prompt;
  if (inline !== undefined) return { text: inline, origin: role === 'system' ? 'system:' : 'prompt:' };
  const name = `${kind}.${role}.liquid`;
  if (overrides.prompts) {
    const dir = isAbsolute(overrides.prompts) ? overrides.prompts : resolve(baseDir, overrides.prompts);
    const path = join(dir, name);
    try {
      return { text: await readCached(path), origin: path };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      // a folder may override only some templates; the others stay the shipped ones
    }
  }
  const path = join(PROMPTS_DIR, name);
  try {
    return { text: await readCached(path), origin: path };
  } catch (error) {
    throw new LoomError('INTERNAL', `prompt template ${name} is missing from the package (${PROMPTS_DIR})`, { cause: error });
  }
}

/** Renders one prompt of a step kind with the given scope. */
export async function renderPrompt(
  kind: string,
  role: PromptRole,
  scope: Record<string, unknown>,
  overrides: PromptOverrides = {},
  baseDir = process.cwd(),
): Promise<string> {
  const { text, origin } = await templateText(kind, role, overrides, baseDir);
  try {
    let template = parsedTemplates.get(text);
    if (!template) {
      template = liquid.parse(text);
      parsedTemplates.set(text, template);
    }
    return (await liquid.render(template, scope)).trim();
  } catch (error) {
    const names = Object.keys(scope).join(', ');
    throw new LoomError('CONFIG_INVALID', `${kind} ${role} prompt (${origin}): ${(error as Error).message.split('\n')[0]}`, {
      cause: error,
      hint: `a ${kind} prompt may use: ${names}`,
    });
  }
}

const LANGUAGE_NAMES: Record<string, string> = {
  en: 'English', zh: 'Chinese', 'zh-cn': 'Simplified Chinese', 'zh-hans': 'Simplified Chinese', 'zh-tw': 'Traditional Chinese',
  'zh-hant': 'Traditional Chinese', ja: 'Japanese', ko: 'Korean', fr: 'French', de: 'German', es: 'Spanish', pt: 'Portuguese',
  it: 'Italian', ru: 'Russian', nl: 'Dutch', pl: 'Polish', tr: 'Turkish', vi: 'Vietnamese', id: 'Indonesian', ar: 'Arabic',
  hi: 'Hindi', th: 'Thai', uk: 'Ukrainian', sv: 'Swedish',
};

/** 'zh' -> 'Chinese'; unknown codes are passed through as the model will likely know them. */
export function languageName(code: string): string {
  return LANGUAGE_NAMES[code.toLowerCase()] ?? code;
}
