import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORDS = ('queue worker retry backoff schedule cron delay priority redis lock shutdown progress event ' +
  'handler timeout payload batch limit tenant token bucket metric trace log config cluster node replica ' +
  'snapshot index vector search chunk store embed filter prune rename sync crash commit').split(' ');
const ZH = '队列 任务 重试 退避 定时 延迟 优先级 锁 关闭 进度 事件 超时 批量 限流 租户 令牌 指标 日志 配置 集群 节点 副本 快照 索引 向量 搜索 存储 过滤'.split(' ');

/** Deterministic pseudo-random docs: `files` Markdown pages with `sections` sections each, every 5th in Chinese. */
export function writeCorpus(dir: string, files: number, sections = 6): void {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const pick = (list: string[]) => list[Math.floor(rnd() * list.length)];
  for (let f = 0; f < files; f++) {
    const zh = f % 5 === 0;
    const sub = join(dir, `part${f % 7}`);
    mkdirSync(sub, { recursive: true });
    const parts = [`# Page ${f}\n`];
    for (let s = 0; s < sections; s++) {
      parts.push(`## Section ${s} ${pick(WORDS)}\n`);
      const words = Array.from({ length: 90 }, () => (zh ? pick(ZH) : pick(WORDS)));
      parts.push(`${words.join(zh ? '' : ' ')} page${f}sec${s}.\n`);
    }
    writeFileSync(join(sub, `page-${f}.md`), parts.join('\n'));
  }
}

const DIST_INGEST = fileURLToPath(new URL('../../dist/ingest/index.js', import.meta.url));

/**
 * Runs `ingest` from the built package in a child process (a real separate writer that can be
 * killed with SIGKILL). Prints one JSON progress line per file on stdout.
 */
export function spawnIngest(docs: string, store: string, env: Record<string, string> = {}): ChildProcess {
  const script = `
    const { ingest } = await import(${JSON.stringify(DIST_INGEST)});
    const s = await ingest({ paths: [${JSON.stringify(docs)}], store: ${JSON.stringify(store)},
      onProgress: (p) => { if (p.phase === 'ingest') process.stdout.write(JSON.stringify(p) + '\\n'); } });
    process.stdout.write('DONE ' + JSON.stringify(s) + '\\n');`;
  return spawn(process.execPath, ['--input-type=module', '-e', script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Resolves when the child has reported at least `files` files done. */
export function waitForProgress(child: ChildProcess, files: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let buf = '';
    let stderr = '';
    child.stderr?.on('data', (d) => { stderr += String(d); });
    child.stdout?.on('data', (d) => {
      buf += String(d);
      const lines = buf.split('\n');
      buf = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('{') && JSON.parse(line).done >= files) resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`ingest child exited (${code}) before ${files} files: ${stderr}`)));
  });
}

export function distBuilt(): boolean {
  return existsSync(DIST_INGEST);
}
