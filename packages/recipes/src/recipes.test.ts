import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { validatePipeline } from '@promptloom/core';
import { RECIPES_DIR, listRecipes, recipeRefResolver } from './index.js';

const recipes = listRecipes([RECIPES_DIR]);

describe('shipped recipes', () => {
  it('are the ones the docs promise', () => {
    expect(recipes.map((r) => r.name)).toEqual(['ask', 'bilingual-answer', 'digest', 'faq', 'summarize-article', 'translate-doc', 'write']);
  });

  it.each(recipes.map((r) => [r.name, r.file]))('%s validates clean, is named after its file, and declares inputs, outputs and tests', async (name, file) => {
    const r = await validatePipeline(file, { resolvePipelineRef: recipeRefResolver([RECIPES_DIR]) });
    expect(r.diagnostics).toEqual([]);
    const spec = r.pipeline!.spec;
    expect(spec.name).toBe(name);
    expect(spec.description?.length).toBeGreaterThan(20);
    expect(Object.keys(spec.inputs).length).toBeGreaterThan(0);
    expect(Object.keys(spec.outputs).length).toBeGreaterThan(0);
    expect(spec.tests.length).toBeGreaterThanOrEqual(2);
    for (const input of Object.values(spec.inputs)) expect(input.description, `${name}: every input says what it is`).toBeTruthy();
  });

  it.each(recipes.map((r) => [r.name, r.file]))('%s opens with a header comment: what it does, offline vs model, and an example', (name, file) => {
    const text = readFileSync(file, 'utf8');
    const header = text.slice(0, text.indexOf('\nversion:'));
    expect(header.split('\n').every((l) => l.startsWith('#')), name).toBe(true);
    expect(header).toMatch(/offline|no model|without (a model|one)|needs a model/i);
    expect(header).toMatch(/loom (recipes run|ask)/);
  });

  it('test both the offline default and a model: every recipe that calls a model has a mode: model case', () => {
    for (const r of recipes) {
      const text = readFileSync(r.file, 'utf8');
      expect(text, r.name).toMatch(/mode: model/);
    }
  });

  it('compose: at least one recipe runs another through a pipeline step', () => {
    const users = recipes.filter((r) => /pipeline:\s*\n\s+use: \w|pipeline: \{ use: \w/.test(readFileSync(r.file, 'utf8')));
    expect(users.map((r) => r.name)).toContain('faq');
  });
});
