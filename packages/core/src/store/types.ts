/** One retrieval hit, as `loom search --json`, the `retrieve` step and the `answer` step see it. */
export interface Hit {
  /** chunk id, stable across re-ingests of an unchanged file */
  id: string;
  /** path relative to the ingest root, with forward slashes */
  source: string;
  /** heading path joined with ' > ' */
  heading: string;
  lang: string;
  score: number;
  text: string;
  title?: string;
  metadata?: Record<string, unknown>;
}

/** Output of the `retrieve` step. `text` numbers the hits [1], [2], … for prompts. */
export interface RetrieveOutput {
  hits: Hit[];
  text: string;
}
