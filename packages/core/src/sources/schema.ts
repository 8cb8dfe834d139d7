import { z } from 'zod';

/** The kind of a source is the one kind key it has (like a pipeline step's kind). */
export const SOURCE_KINDS = ['path', 'sitemap', 'discourse', 'github', 'git'] as const;
export type SourceKind = (typeof SOURCE_KINDS)[number];

const globs = z.array(z.string().min(1)).describe('glob patterns over the URL path or file path');

/** Fields every source accepts. Defaults live here and nowhere else. */
const common = {
  name: z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/).describe('unique name: hits carry it, --only selects it, the store keys its documents by it'),
  weight: z.number().gt(0).max(10).default(1).describe('ranking weight against other sources (official docs 1, a forum 0.7)'),
  include: globs.optional(),
  exclude: globs.optional(),
  rate: z.number().min(0).default(2).describe('requests per second per host; 0 = no limit'),
  concurrency: z.number().int().min(1).max(64).default(4).describe('requests in flight at once for this source'),
  max_page_mb: z.number().gt(0).max(500).default(10).describe('a page or file larger than this is skipped with a warning'),
  timeout_s: z.number().gt(0).max(600).default(30).describe('one request gives up after this long'),
};

const url = z.url({ protocol: /^https?$/ });

export const pathSourceSchema = z.strictObject({
  ...common,
  path: z.string().min(1).describe('a local file or folder, relative to the sources file'),
});

export const sitemapSourceSchema = z.strictObject({
  ...common,
  sitemap: url.describe('URL of sitemap.xml or of a sitemap index'),
  max_pages: z.number().int().min(1).max(1_000_000).default(50_000).describe('read at most this many page URLs from the sitemaps (then stop, and remove nothing this time)'),
});

export const discourseSourceSchema = z.strictObject({
  ...common,
  discourse: url.describe('base URL of the Discourse forum'),
  categories: z.array(z.string().min(1)).optional().describe('only topics in these category slugs'),
});

export const githubSourceSchema = z.strictObject({
  ...common,
  github: z.string().regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/).describe('owner/repo'),
  kinds: z.array(z.enum(['discussions', 'issues'])).min(1).default(['discussions', 'issues']),
  api: url.default('https://api.github.com').describe('REST base; GraphQL is {api}/graphql (GitHub Enterprise: https://HOST/api/v3)'),
  token_env: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).default('GITHUB_TOKEN').describe('environment variable holding the token'),
});

export const gitSourceSchema = z.strictObject({
  ...common,
  git: z.string().min(1).describe('a repository URL, or a local repository path'),
  ref: z.string().min(1).default('HEAD').describe('branch, tag or commit to sync'),
  path: z.string().min(1).optional().describe('only files under this folder of the repository'),
});

export const SOURCE_SCHEMAS = {
  path: pathSourceSchema,
  sitemap: sitemapSourceSchema,
  discourse: discourseSourceSchema,
  github: githubSourceSchema,
  git: gitSourceSchema,
} as const;

export const sourcesTopSchema = z.strictObject({
  version: z.literal(1),
  store: z.string().min(1).optional().describe('store directory, relative to the sources file (--store wins over it; it wins over LOOM_STORE)'),
  sources: z.array(z.record(z.string(), z.unknown())).min(1),
});

export type PathSource = z.output<typeof pathSourceSchema> & { kind: 'path' };
export type SitemapSource = z.output<typeof sitemapSourceSchema> & { kind: 'sitemap' };
export type DiscourseSource = z.output<typeof discourseSourceSchema> & { kind: 'discourse' };
export type GithubSource = z.output<typeof githubSourceSchema> & { kind: 'github' };
export type GitSource = z.output<typeof gitSourceSchema> & { kind: 'git' };
export type SourceSpec = PathSource | SitemapSource | DiscourseSource | GithubSource | GitSource;

export interface SourcesFile {
  version: 1;
  store?: string;
  sources: SourceSpec[];
  /** absolute path of the file, and its folder (relative paths resolve from it) */
  file?: string;
  dir: string;
}

/**
 * `git` sources use `path` for a folder inside the repository, so `path` names the kind only
 * when no other kind key is present.
 */
export function kindOf(source: Record<string, unknown>): SourceKind[] {
  const remote = SOURCE_KINDS.filter((k) => k !== 'path' && k in source);
  return remote.length > 0 ? remote : 'path' in source ? ['path'] : [];
}
