import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAI, type FakeOpenAI } from '@promptloom/core/testing';
import { recipeModel } from './recipe-model.js';

const here = dirname(fileURLToPath(import.meta.url));
const bin = resolve(here, '../dist/bin.js');
const SHIPPED = ['ask', 'bilingual-answer', 'digest', 'faq', 'summarize-article', 'translate-doc', 'write'];
let work: string;
let fake: FakeOpenAI;

interface Spawned { code: number | null; stdout: string; stderr: string }

function loom(args: string[], options: { env?: Record<string, string>; stdin?: string; cwd?: string } = {}): Promise<Spawned> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: options.cwd ?? work,
      env: { PATH: process.env.PATH ?? '', HOME: work, CI: '1', LOOM_STORE: '', LOOM_MODEL: '', OPENAI_BASE_URL: fake.url, OPENAI_API_KEY: 'sk-test', ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
    child.stdin.end(options.stdin ?? '');
  });
}

const ARTICLE_HTML = `<!doctype html><html><head><title>Release notes 2.5</title><style>p{color:red}</style>
<script>window.tracking = true;</script></head><body><h1>Release notes 2.5</h1>
<p>Tidewren 2.5 makes the fetch scheduler adaptive. Popular feeds are polled more often and quiet ones less, which cut outgoing requests by half.</p>
<h2>Upgrading</h2><p>Stop the old instance before starting the new one. Take a backup first: downgrades are not supported.</p>
<pre><code>tidewren backup create</code></pre></body></html>`;

const README = `# Backups

Tidewren keeps everything in its data folder. Run the backup before every upgrade, as the [upgrade guide](upgrading.md) says.

\`\`\`sh
tidewren backup create --to /srv/backups
\`\`\`

Every feed keeps its folder. Run \`tidewren backup list\` to check the result.
`;

beforeAll(async () => {
  fake = await startFakeOpenAI({ handler: recipeModel });
  work = mkdtempSync(join(tmpdir(), 'loom-recipes-cli-'));
  writeFileSync(join(work, 'article.html'), ARTICLE_HTML);
  writeFileSync(join(work, 'README.md'), README);
  mkdirSync(join(work, 'docs'));
  writeFileSync(join(work, 'docs', 'backups.md'), '# Backups\n\nRun `tidewren backup create` every night. Backups are written to the data folder and kept for 14 days.\n');
  const ingest = await loom(['ingest', 'docs', '--store', 'store']);
  expect(ingest.code, ingest.stderr).toBe(0);
}, 60_000);
afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});
beforeEach(() => fake.reset());

describe('loom recipes list / show', () => {
  it('lists every shipped recipe with a one-line description', async () => {
    const r = await loom(['recipes', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^NAME\s+DESCRIPTION$/m);
    for (const name of SHIPPED) expect(r.stdout).toMatch(new RegExp(`^${name}\\s+\\S`, 'm'));
    expect((await loom(['recipes'])).stdout).toBe(r.stdout);
    const json = JSON.parse((await loom(['recipes', 'list', '--json'])).stdout) as { name: string; description: string; where: string; file: string }[];
    expect(json.map((x) => x.name)).toEqual(SHIPPED);
    expect(json.every((x) => x.where === 'package' && x.description.length > 20 && x.file.endsWith(`${x.name}.yaml`))).toBe(true);
  });

  it('shows the YAML of a recipe and a table of its inputs', async () => {
    const r = await loom(['recipes', 'show', 'translate-doc']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('name: translate-doc');
    expect(r.stdout).toContain('# Example:');
    expect(r.stdout).toMatch(/^INPUT\s+TYPE\s+REQUIRED\s+DEFAULT\s+DESCRIPTION$/m);
    expect(r.stdout).toMatch(/^text\s+string\s+yes\s+the document/m);
    expect(r.stdout).toMatch(/^glossary\s+object\s+\{\}/m);
    expect(r.stdout).toContain('outputs: text, from, to');
    const json = JSON.parse((await loom(['recipes', 'show', 'translate-doc', '--json'])).stdout);
    expect(json).toMatchObject({ name: 'translate-doc', where: 'package', outputs: ['text', 'from', 'to'], inputs: { text: { type: 'string', required: true } } });
    expect(json.yaml).toContain('name: translate-doc');
  });

  it('names the recipe a typo meant (exit 1)', async () => {
    const r = await loom(['recipes', 'show', 'sumarize']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no recipe named "sumarize"');
    expect(r.stderr).toContain('did you mean summarize-article?');
  });
});

describe('recipes against a server that honours only structured outputs (response_format json_schema)', () => {
  it.each([
    ['digest', ['--input', 'topic=backups']],
    ['faq', ['--input', 'topic=backups', '--input', 'count=2']],
  ])('%s asks for its JSON with json_schema and succeeds', async (name, inputs) => {
    const strict = await startFakeOpenAI({ responseFormats: ['json_schema'] });
    try {
      const r = await loom(['recipes', 'run', name, ...inputs, '--store', 'store', '--model', 'openai:fake-model', '--no-cache', '--json'], { env: { OPENAI_BASE_URL: strict.url } });
      expect(r.code, r.stderr).toBe(0);
      const formats = strict.requestsTo('chat').map((q) => q.body.response_format?.type).filter(Boolean);
      expect(formats.length).toBeGreaterThan(0);
      expect(formats.every((t) => t === 'json_schema')).toBe(true);
    } finally {
      await strict.close();
    }
  });
});

describe('loom recipes run', () => {
  it('summarizes a saved web page given as --input text=@page.html, as text without markup', async () => {
    const r = await loom(['recipes', 'run', 'summarize-article', '--input', 'text=@article.html', '--input', 'style=bullets', '--input', 'max_words=40']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^summary:\n- Tidewren 2\.5 makes the fetch scheduler adaptive\./m);
    expect(r.stdout).not.toMatch(/<\/?p>|window\.tracking|color:red/);
    expect(r.stdout).toContain('extractive: true');
    expect(r.stderr).toContain('extractive');
  });

  it('reads a value from standard input with @-, converting a whole HTML page, and takes @@ as a literal @', async () => {
    const viaStdin = await loom(['recipes', 'run', 'summarize-article', '--input', 'text=@-', '--input', 'style=tldr', '--json'], { stdin: ARTICLE_HTML });
    expect(viaStdin.code, viaStdin.stderr).toBe(0);
    expect(JSON.parse(viaStdin.stdout).outputs.summary).toContain('adaptive');
    writeFileSync(join(work, 'echo.yaml'), 'version: 1\nname: echo\ninputs: { text: { type: string } }\nsteps:\n  - id: s\n    summarize: { text: "{{ inputs.text }}" }\noutputs: { text: "{{ inputs.text }}" }\n');
    const again = await loom(['run', 'echo.yaml', '--input', 'text=@@handle is a user name.', '--json']);
    expect(JSON.parse(again.stdout).outputs.text).toBe('@handle is a user name.');
    const missing = await loom(['run', 'echo.yaml', '--input', 'text=@nope.md']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('--input text=@nope.md: cannot read');
    expect(missing.stderr).toContain('write @@');
  });

  it('translates a Markdown file with a model and writes it with --out, code byte-identical', async () => {
    const r = await loom(['recipes', 'run', 'translate-doc', '--input', 'text=@README.md', '--input', 'to=zh',
      '--input', 'glossary={"feed": "订阅源", "Tidewren": "Tidewren"}', '--model', 'openai:fake-model', '--out', 'out/README.zh.md', '--no-cache']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/wrote text to out\/README\.zh\.md \(\d+ bytes\)/);
    expect(r.stdout).toBe('from: en\nto: zh\n');
    const zh = readFileSync(join(work, 'out', 'README.zh.md'), 'utf8');
    expect(zh).toContain('```sh\ntidewren backup create --to /srv/backups\n```');
    expect(zh).toContain('`tidewren backup list`');
    expect(zh).toContain('](upgrading.md)');
    expect(zh).toContain('订阅源');
    expect(zh).toMatch(/^# \S/);
    const sent = fake.requestsTo('chat').map((q) => JSON.stringify(q.body));
    expect(sent.some((b) => b.includes('tidewren backup create'))).toBe(false); // code never goes to the model
  });

  it('refuses to translate offline rather than copy the text (exit 1, how to configure a model)', async () => {
    const r = await loom(['recipes', 'run', 'translate-doc', '--input', 'text=@README.md', '--input', 'to=zh']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('translate needs a model');
    expect(r.stderr).toContain('--model openai:NAME');
  });

  it('prefers ./recipes and the user folder, and runs a user recipe that uses a shipped one by name', async () => {
    const project = join(work, 'project');
    const user = join(work, 'user-recipes');
    mkdirSync(join(project, 'recipes'), { recursive: true });
    mkdirSync(user, { recursive: true });
    writeFileSync(join(project, 'recipes', 'write.yaml'), 'version: 1\nname: write\ndescription: our house style\ninputs: { brief: { type: string } }\nsteps:\n  - id: s\n    summarize: { text: "{{ inputs.brief }}" }\noutputs: { text: "{{ steps.s.summary }}" }\n');
    writeFileSync(join(user, 'nightly.yaml'), [
      'version: 1', 'name: nightly', 'description: Asks the docs about backups',
      'steps:', '  - id: q', '    pipeline: { use: ask, inputs: { question: "How often do backups run?" } }',
      'outputs: { answer: "{{ steps.q.answer }}", citations: "{{ steps.q.citations }}" }', '',
    ].join('\n'));
    const env = { LOOM_RECIPES_DIR: user };
    const list = await loom(['recipes', 'list'], { cwd: project, env });
    expect(list.stdout).toMatch(/^write\s+our house style\s+\(project: recipes\/write\.yaml\)$/m);
    expect(list.stdout).toMatch(/^nightly\s+Asks the docs about backups\s+\(user: /m);
    const r = await loom(['recipes', 'run', 'nightly', '--store', join(work, 'store'), '--json'], { cwd: project, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout).outputs;
    expect(out.answer).toContain('every night');
    expect(out.citations[0].source).toBe('backups.md');
  });

  it('refuses two recipes that use each other before running anything', async () => {
    const user = join(work, 'cycle');
    mkdirSync(user, { recursive: true });
    const uses = (name: string, other: string) => `version: 1\nname: ${name}\nsteps:\n  - id: next\n    pipeline: { use: ${other} }\n`;
    writeFileSync(join(user, 'ping.yaml'), uses('ping', 'pong'));
    writeFileSync(join(user, 'pong.yaml'), uses('pong', 'ping'));
    const r = await loom(['recipes', 'run', 'ping'], { env: { LOOM_RECIPES_DIR: user } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/ping\.yaml:5:\d+: error: step "next": pong includes this pipeline again .*\[include-cycle\]/);
    expect(fake.requests).toHaveLength(0);
  });
});
