import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LoomError } from '../../errors.js';
import { ensureDir } from '../../store/index.js';
import { globFilter, forEachItem, type SourceRun } from '../context.js';
import { decodeBody, htmlToMarkdown } from '../html.js';
import type { GitSource } from '../schema.js';

const TEXT = new Set(['.md', '.markdown', '.txt']);
const HTML = new Set(['.html', '.htm']);

/** Runs the machine's git; failures name the command and git's own message. */
function git(args: string[], cwd: string, maxBuffer = 64 * 1048576): Promise<Buffer> {
  return new Promise((done, fail) => {
    execFile('git', args, { cwd, encoding: 'buffer', maxBuffer, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' } }, (error, stdout, stderr) => {
      if (!error) return done(stdout);
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'git is not installed (git sources use the git command)' : stderr.toString('utf8').trim().split('\n').pop() || error.message;
      fail(new LoomError('SYNC_SOURCE_FAILED', `git ${args.slice(0, 2).join(' ')}: ${why}`, { cause: error }));
    });
  });
}

/**
 * A git repository, local or cloned (bare, into the store folder): the files under `path` at
 * `ref`. The first sync reads every file; later ones read only `git diff` between the last
 * synced commit and `ref`, so unchanged files cost nothing and deleted files leave the store.
 */
export async function syncGit(run: SourceRun<GitSource>): Promise<void> {
  const repo = await repository(run);
  const commit = (await git(['rev-parse', '--verify', `${run.source.ref}^{commit}`], repo)).toString().trim();
  const last = run.sink.getState<string>('commit');
  if (last === commit) return;
  const prefix = (run.source.path ?? '').replace(/^\.?\/+/, '').replace(/\/*$/, '');
  const scope = prefix ? ['--', prefix] : [];
  const known = last ? await git(['cat-file', '-e', `${last}^{commit}`], repo).then(() => true, () => false) : false;
  const changes = known ? parseDiff(await git(['diff', '--name-status', '-z', '--no-renames', last!, commit, ...scope], repo)) : await listAll(repo, commit, scope);
  const keep = globFilter(run.source);
  const wanted = changes.filter((c) => keep(c.path));
  const gone = wanted.filter((c) => c.status === 'D').map((c) => c.path);
  if (!known) gone.push(...(await run.sink.storedIds()).filter((id) => !wanted.some((c) => c.path === id)));
  await run.sink.remove(gone);
  const files = wanted.filter((c) => c.status !== 'D' && (TEXT.has(ext(c.path)) || HTML.has(ext(c.path))));
  run.counts.skipped += wanted.filter((c) => c.status !== 'D').length - files.length;
  await forEachItem(run, files, (c) => c.path, async (c) => {
    const body = await git(['show', `${commit}:${c.path}`], repo, run.source.max_page_mb * 1048576).catch((error: Error) => {
      throw new LoomError('SYNC_FETCH_FAILED', `${c.path}: ${/maxBuffer/i.test(String(error.cause)) ? `larger than max_page_mb (${run.source.max_page_mb} MB)` : error.message}`);
    });
    run.counts.fetched++;
    const url = fileUrl(run, commit, c.path);
    const { text, warning } = decodeBody(body, null);
    if (warning) run.warn(c.path, `${c.path}: ${warning}`);
    const page = HTML.has(ext(c.path)) ? await htmlToMarkdown(text, url) : { markdown: text, title: undefined, author: undefined };
    await run.sink.put({ id: c.path, url, title: page.title, markdown: page.markdown, author: page.author, kind: 'doc', updatedAt: await commitDate(repo, commit) });
  });
  run.sink.setState('commit', commit);
  await run.sink.flush();
}

async function repository(run: SourceRun<GitSource>): Promise<string> {
  const local = resolve(run.dir, run.source.git);
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(run.source.git) && !/^[^/]+@[^:]+:/.test(run.source.git)) {
    if (!existsSync(local)) throw new LoomError('SYNC_SOURCE_FAILED', `git: no repository at ${local}`, { hint: 'git: takes a repository URL or a local repository path (relative to the sources file)' });
    return local;
  }
  const cache = join(run.store.dir, 'sync-git');
  const dir = join(cache, `${run.source.name}.git`);
  if (!existsSync(dir)) {
    ensureDir(cache);
    await git(['clone', '--bare', '--quiet', run.source.git, dir], cache);
  } else {
    await git(['fetch', '--quiet', '--prune', 'origin', '+refs/heads/*:refs/heads/*', '+refs/tags/*:refs/tags/*'], dir);
  }
  return dir;
}

const dates = new Map<string, Promise<string>>();
function commitDate(repo: string, commit: string): Promise<string> {
  let d = dates.get(commit);
  if (!d) {
    d = git(['show', '-s', '--format=%cI', commit], repo).then((b) => new Date(b.toString().trim()).toISOString());
    dates.set(commit, d);
  }
  return d;
}

function fileUrl(run: SourceRun<GitSource>, commit: string, path: string): string {
  if (/^https?:\/\//.test(run.source.git)) return `${run.source.git.replace(/\.git$/, '').replace(/\/+$/, '')}/blob/${commit}/${path}`;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(run.source.git)) return `${run.source.git}#${path}`;
  return pathToFileURL(join(resolve(run.dir, run.source.git), path)).href;
}

interface Change { status: string; path: string }

/** `git diff --name-status -z`: status NUL path NUL, repeated. */
function parseDiff(out: Buffer): Change[] {
  const parts = out.toString('utf8').split('\0').filter(Boolean);
  const changes: Change[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) changes.push({ status: parts[i][0], path: parts[i + 1] });
  return changes;
}

async function listAll(repo: string, commit: string, scope: string[]): Promise<Change[]> {
  const out = await git(['ls-tree', '-r', '-z', '--name-only', commit, ...scope], repo);
  return out.toString('utf8').split('\0').filter(Boolean).map((path) => ({ status: 'A', path }));
}

function ext(path: string): string {
  return extname(path).toLowerCase();
}
