import { randomUUID } from 'node:crypto';
import { VectorStore, type MaxMarginalRelevanceSearchOptions } from '@langchain/core/vectorstores';
import type { EmbeddingsInterface } from '@langchain/core/embeddings';
import { Document, type DocumentInterface } from '@langchain/core/documents';
import { detectLanguage } from '../text/lang.js';
import { openStore } from './index.js';
import type { LoomStore, StoreDocument, StoreEmbedder } from './store.js';
import type { ChunkRecord, Scored, SourceRecord } from './backend.js';
import { parseFilter, type MetadataFilter } from './filter.js';
import { LoomError } from '../errors.js';
import { predicateSearch } from './scan.js';
import { mmrSelect } from './fusion.js';
import { embeddingInput, ftsFields, inputHash } from './records.js';
import { toHit } from './search.js';
import { normalize } from './vectors.js';
import type { Hit, SearchOptions } from './types.js';

/**
 * Either metadata to match — `source` glob, `lang`, `tag`, or any metadata key; values are
 * strings (comma lists, as `loom search --filter`), numbers, booleans or arrays (any of) — or a
 * function `(doc) => boolean`, as LangChain's HNSWLib and MemoryVectorStore take (an exact search
 * over the documents it accepts).
 */
export type LoomFilter = MetadataFilter | ((doc: DocumentInterface) => boolean);

/** Where fromTexts/fromDocuments put the store: `directory`, as HNSWLib's and Faiss's save/load name it. */
export interface LoomStoreArgs {
  directory?: string;
  /** the same, by its earlier name */
  dir?: string;
}

function directoryOf(args: LoomStoreArgs | undefined, method: string): string {
  const dir = args?.directory ?? args?.dir;
  if (typeof dir === 'string' && dir) return dir;
  throw new LoomError('USAGE', `LoomVectorStore.${method} needs the store folder as { directory: '…' } (got ${JSON.stringify(args ?? null)})`, {
    hint: `e.g. LoomVectorStore.${method}(…, embeddings, { directory: './.loom' }); the folder is created when missing`,
  });
}

function embedderOf(embeddings: EmbeddingsInterface): StoreEmbedder & { probe?: boolean } {
  const e = embeddings as EmbeddingsInterface & { id?: unknown; dimensions?: unknown; model?: unknown; modelName?: unknown };
  const model = typeof e.model === 'string' ? e.model : typeof e.modelName === 'string' ? e.modelName : '';
  const id = typeof e.id === 'string' ? e.id : `langchain:${embeddings.constructor.name}${model ? `:${model}` : ''}`;
  return {
    id,
    dimensions: typeof e.dimensions === 'number' ? e.dimensions : 0,
    embedMany: async (texts) => (await embeddings.embedDocuments(texts)).map((v) => Float32Array.from(v)),
    embedQuery: async (text) => Float32Array.from(await embeddings.embedQuery(text)),
  };
}

/**
 * A promptloom store as a LangChain VectorStore: documents added with ids are upserted (one
 * chunk each, searchable by `loom search` too), `delete({ids})` removes them, and searches use
 * the store's HNSW index with its ef and filter plans. Works with LangChain's `index()` API.
 */
export class LoomVectorStore extends VectorStore {
  declare FilterType: LoomFilter;
  readonly store: LoomStore;

  constructor(embeddings: EmbeddingsInterface, args: { store: LoomStore }) {
    super(embeddings, args);
    this.store = args.store;
  }

  _vectorstoreType(): string {
    return 'promptloom';
  }

  /** Opens (creating when missing) a store directory for these embeddings. */
  static async open(dir: string, embeddings: EmbeddingsInterface, options: { create?: boolean } = {}): Promise<LoomVectorStore> {
    const embedder = embedderOf(embeddings);
    if (!embedder.dimensions) embedder.dimensions = (await embeddings.embedQuery('dimension probe')).length;
    const store = await openStore(dir, { create: options.create ?? true, embeddings: embedder });
    return new LoomVectorStore(embeddings, { store });
  }

  /** Opens an existing store folder (HNSWLib.load's name for it); unlike `open`, never creates one. */
  static async load(directory: string, embeddings: EmbeddingsInterface): Promise<LoomVectorStore> {
    return LoomVectorStore.open(directory, embeddings, { create: false });
  }

  static override async fromTexts(texts: string[], metadatas: object[] | object, embeddings: EmbeddingsInterface, args: LoomStoreArgs): Promise<LoomVectorStore> {
    const directory = directoryOf(args, 'fromTexts');
    const docs = texts.map((pageContent, i) => new Document({ pageContent, metadata: Array.isArray(metadatas) ? metadatas[i] ?? {} : metadatas }));
    return LoomVectorStore.fromDocuments(docs, embeddings, { directory });
  }

  static override async fromDocuments(docs: DocumentInterface[], embeddings: EmbeddingsInterface, args: LoomStoreArgs): Promise<LoomVectorStore> {
    const vs = await LoomVectorStore.open(directoryOf(args, 'fromDocuments'), embeddings);
    await vs.addDocuments(docs);
    return vs;
  }

  async addDocuments(documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    // no vectors given: the store embeds what it does not already hold (equal text, equal vector)
    return this.write(documents.map(() => undefined), documents, options?.ids);
  }

  async addVectors(vectors: number[][], documents: DocumentInterface[], options?: { ids?: string[] }): Promise<string[]> {
    return this.write(vectors, documents, options?.ids);
  }

  private async write(vectors: (number[] | undefined)[], documents: DocumentInterface[], ids?: string[]): Promise<string[]> {
    const keys = documents.map((d, i) => ids?.[i] ?? d.id ?? randomUUID());
    const docs: StoreDocument[] = [];
    for (let i = 0; i < documents.length; i++) docs.push(await this.record(documents[i], keys[i], vectors[i]));
    // many small writes: the index file is written on close or once enough changes piled up
    await this.store.write('LoomVectorStore', async () => { await this.store.upsertDocuments(docs); }, { save: false });
    return keys;
  }

  private async record(doc: DocumentInterface, id: string, vector: number[] | undefined): Promise<StoreDocument> {
    const m = meta(doc);
    const input = embeddingInput(m.title, m.heading ?? '', doc.pageContent);
    const lang = typeof m.lang === 'string' ? m.lang : await detectLanguage(doc.pageContent);
    const tags = Array.isArray(m.tags) ? m.tags.map(String) : [];
    const source: SourceRecord = {
      file: '', path: `lc:${id}`, name: typeof m.source === 'string' ? m.source : id, hash: inputHash(`${input}\u0000${JSON.stringify(m)}`),
      size: doc.pageContent.length, mtimeMs: Date.now(), lang, title: m.title, meta: JSON.parse(JSON.stringify(m)), tags,
    };
    const chunk: ChunkRecord = {
      uid: id, ord: 0, heading: m.heading ?? '', text: doc.pageContent, start: 0, end: doc.pageContent.length, lang,
      textHash: inputHash(input), vector: vector ? normalize(vector) : undefined, fts: ftsFields(m.title, m.heading ?? '', doc.pageContent),
    };
    return { source, chunks: [chunk], inputs: [input] };
  }

  override async delete(params?: { ids?: string[] }): Promise<void> {
    const ids = params?.ids ?? [];
    if (ids.length === 0) return;
    await this.store.write('LoomVectorStore.delete', async () => { this.store.backend.deleteChunks(ids); }, { save: false });
  }

  async similaritySearchVectorWithScore(query: number[], k: number, filter?: LoomFilter): Promise<[DocumentInterface, number][]> {
    const scored = await this.vectorSearch(normalize(query), k, filter);
    const rows = new Map((await this.store.backend.getChunks(scored.map((s) => s.id))).map((r) => [r.id, r]));
    return scored.filter((s) => rows.has(s.id)).map((s) => [toDocument(toHit(rows.get(s.id)!, s.score)), s.score]);
  }

  override async maxMarginalRelevanceSearch(query: string, options: MaxMarginalRelevanceSearchOptions<LoomFilter>): Promise<DocumentInterface[]> {
    const q = normalize(await this.embeddings.embedQuery(query));
    const pool = await this.vectorSearch(q, options.fetchK ?? 20, options.filter);
    const picked = mmrSelect(pool, await this.store.backend.vectors(pool.map((p) => p.id)), options.k, options.lambda ?? 0.5);
    const rows = new Map((await this.store.backend.getChunks(picked.map((p) => p.id))).map((r) => [r.id, r]));
    return picked.filter((p) => rows.has(p.id)).map((p) => toDocument(toHit(rows.get(p.id)!, p.score)));
  }

  private async vectorSearch(query: Float32Array, k: number, filter: LoomFilter | undefined): Promise<Scored[]> {
    if (typeof filter === 'function') {
      return predicateSearch(this.store.backend, query, k, (row) => filter(toDocument(toHit(row, 0), false)));
    }
    return this.store.backend.vectorSearch(query, k, parseFilter(filter));
  }

  /** The store's own hybrid (vector + full-text) search, as `loom search` runs it. */
  search(query: string, options?: SearchOptions): Promise<Hit[]> {
    return this.store.search(query, options);
  }

  /** Writes the index file if changes are pending, and closes the store. */
  async close(): Promise<void> {
    if ((await this.store.backend.unsavedChanges()) > 0) await this.store.write('LoomVectorStore.close', async () => {});
    this.store.close();
  }
}

interface DocMeta { title?: string; heading?: string; source?: unknown; lang?: unknown; tags?: unknown; [key: string]: unknown }

function meta(doc: DocumentInterface): DocMeta {
  return (doc.metadata ?? {}) as DocMeta;
}

/** A hit as a LangChain Document; a filter sees it before it has a score. */
function toDocument(hit: Hit, scored = true): Document {
  const metadata = { ...(hit.metadata ?? {}), source: hit.source, heading: hit.heading, lang: hit.lang, ...(scored ? { score: hit.score } : {}) };
  return new Document({ pageContent: hit.text, metadata, id: hit.id });
}
