export { loadSources, DEFAULT_SOURCES_FILE } from './load.js';
export { syncSources } from './run.js';
export type { SyncOptions, SyncSummary, SourceSummary } from './run.js';
export type { SourceSpec, SourcesFile, SourceKind } from './schema.js';
export type { SourceCounts, SyncDocument, DocumentKind } from './sink.js';
