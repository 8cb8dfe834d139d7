import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeStore, locateStore, requireStore } from './store.js';

const pipeline = (store?: string) => ({ file: '/p/flows/qa.yaml', dir: '/p/flows', spec: { store } });

describe('locateStore: one rule, first match wins', () => {
  it('--store beats the pipeline, which beats LOOM_STORE, which beats ./.loom', () => {
    const env = { LOOM_STORE: 'envstore' };
    expect(locateStore({ flag: 'b', pipeline: pipeline('a'), env, cwd: '/w' })).toEqual({ location: '/w/b', kind: 'dir', from: 'flag' });
    expect(locateStore({ pipeline: pipeline('a'), env, cwd: '/w' })).toEqual({ location: '/p/flows/a', kind: 'dir', from: 'pipeline', file: '/p/flows/qa.yaml' });
    expect(locateStore({ pipeline: pipeline(), env, cwd: '/w' })).toEqual({ location: '/w/envstore', kind: 'dir', from: 'env' });
    expect(locateStore({ pipeline: pipeline(), env: {}, cwd: '/w' })).toEqual({ location: '/w/.loom', kind: 'dir', from: 'default' });
  });

  it('treats empty values as unset', () => {
    expect(locateStore({ flag: '', pipeline: pipeline(''), env: { LOOM_STORE: '' }, cwd: '/w' }).from).toBe('default');
  });

  it('a child pipeline without store: reads its parent\'s; its own store: and --store still win', () => {
    const parent = locateStore({ pipeline: pipeline('a'), env: { LOOM_STORE: 'e' }, cwd: '/w' });
    const child = { file: '/r/ask.yaml', dir: '/r', spec: {} };
    expect(locateStore({ pipeline: child, inherited: parent, env: { LOOM_STORE: 'e' }, cwd: '/w' })).toBe(parent);
    expect(locateStore({ pipeline: { ...child, spec: { store: 'own' } }, inherited: parent, env: {}, cwd: '/w' }).location).toBe('/r/own');
    expect(locateStore({ flag: '/x', pipeline: child, inherited: parent, env: {}, cwd: '/w' }).location).toBe('/x');
  });

  it('passes a URL through as kind url, and hides its password in messages', () => {
    const loc = locateStore({ flag: 'postgres://loom:s3cret@127.0.0.1:5432/docs?schema=a', cwd: '/w' });
    expect(loc).toMatchObject({ location: 'postgres://loom:s3cret@127.0.0.1:5432/docs?schema=a', kind: 'url', from: 'flag' });
    expect(describeStore(loc)).toBe('postgres://loom:***@127.0.0.1:5432/docs?schema=a (from --store)');
    expect(locateStore({ env: { LOOM_STORE: 'postgres://db/x' }, cwd: '/w' })).toMatchObject({ kind: 'url', from: 'env' });
  });
});

describe('requireStore', () => {
  let tmp: string;
  beforeEach(() => { tmp = mkdtempSync(join(tmpdir(), 'loom-locate-')); });
  afterEach(() => rmSync(tmp, { recursive: true, force: true }));

  it('names the setting that chose a missing store, with a hint for that setting', () => {
    const file = join(tmp, 'qa.yaml');
    const fromFile = () => requireStore({ pipeline: { file, dir: tmp, spec: { store: 'kb' } }, env: {}, cwd: tmp });
    expect(fromFile).toThrow(expect.objectContaining({
      code: 'STORE_NOT_FOUND',
      message: `no store at ${join(tmp, 'kb')} (from \`store:\` in qa.yaml)`,
      hint: 'create it with: loom ingest <folder> --store kb, or change `store:` in qa.yaml, or pass --store to use another store',
    }));
    expect(() => requireStore({ env: { LOOM_STORE: 'gone' }, cwd: tmp })).toThrow(/no store at .*gone \(from LOOM_STORE\)/);
    expect(() => requireStore({ env: {}, cwd: tmp })).toThrow(/\.loom \(from the default \.\/\.loom/);
    mkdirSync(join(tmp, 'kb'));
    expect(fromFile().location).toBe(join(tmp, 'kb'));
  });
});
