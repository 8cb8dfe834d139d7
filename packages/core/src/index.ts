// @promptloom/core public API. Named exports only; each area owns its section.

// --- errors
export { LoomError, isLoomError, exitCodeFor, toLoomError, ERROR_CODES } from './errors.js';
export type { ErrorCode, Diagnostic, LoomErrorOptions } from './errors.js';

// --- pipeline language (spec/)
export type { PipelineSpec, StepSpec, InputSpec, ModelConfig, RetrySpec, TestCase, TestAssertion, LoadedPipeline } from './spec/types.js';
export { renderValue, renderString, evalCondition, templateRefs } from './spec/template.js';
export { loadPipeline, validatePipeline } from './spec/load.js';
export type { LoadOptions, ValidationResult } from './spec/load.js';
export type { PipelineRefResolver } from './spec/check-use.js';
export { formatDiagnostics, DIAGNOSTIC_CODES } from './spec/diagnostics.js';
export type { DiagnosticCode } from './spec/diagnostics.js';
export { parseInputs, checkInputs } from './spec/inputs.js';
export type { InputProblem } from './spec/inputs.js';
export { pipelineJsonSchema } from './spec/json-schema.js';
export { retrieveParams, summarizeParams, translateParams, answerParams, promptParams, pipelineParams, hitSchema, BUILTIN_STEPS } from './steps/params.js';
export type { RetrieveParams, SummarizeParams, TranslateParams, AnswerParams, PromptParams, PipelineParams, BuiltinStepInfo } from './steps/params.js';

// --- engine (engine/)
export type { StepDefinition, StepContext, StepRecord, StepStatus, RunEvent, RunEventListener, Executor, RunOptions, RunResult } from './engine/types.js';
export type { ExecutorTask } from './engine/types.js';
export { runPipeline, DEFAULT_CONCURRENCY } from './engine/run.js';
export { planPipeline } from './engine/plan.js';
export type { ExecutionPlan, PlannedStep, PlanOptions } from './engine/plan.js';
export type { RunBudget, StepConcurrency } from './engine/budget.js';
export { inProcessExecutor } from './engine/executor.js';
export type { ModelCallRecord } from './engine/types.js';
export { runBatch } from './batch/batch.js';
export type { BatchOptions, BatchLineResult, BatchSummary } from './batch/batch.js';
// distributed runs: bullmq and ioredis are imported only when a queue is used
export { createQueueExecutor } from './queue/executor.js';
export type { QueueExecutor, QueueExecutorOptions } from './queue/executor.js';
export { startQueueWorker } from './queue/worker.js';
export type { QueueWorker, QueueWorkerOptions } from './queue/worker.js';
export { parseRate } from './queue/rate.js';
export type { Rate } from './queue/rate.js';
export { parseQueueUrl, checkRedis } from './queue/connection.js';
export type { QueueTarget } from './queue/connection.js';
export { toRunnable } from './engine/runnable.js';
export { summarizeRun } from './engine/summary.js';
export type { RunSummaryJson } from './engine/summary.js';
export type { PipelineRunnable } from './engine/runnable.js';

// --- steps (steps/)
export { defineStep, getStep, listSteps } from './steps/index.js';

// --- models (providers/)
export type { ChatMessage, ModelCallRequest, ModelCallResult, ModelHandle, TokenUsage } from './providers/types.js';
export { resolveModel, parseModelFlag, effectiveModels } from './providers/resolve.js';
export { redact } from './providers/redact.js';
export { registerPrices } from './providers/pricing.js';
export type { Price } from './providers/pricing.js';
export { countTokens } from './providers/tokens.js';
export { createLedger, listRuns, getRun } from './providers/ledger.js';
export type { Ledger, LedgerUsage, LedgerStep, LedgerCall, RunSummary, RunDetail } from './providers/ledger.js';

// --- store and ingest (store/, ingest/, text/, embeddings/)
export type { Hit, RetrieveOutput } from './store/types.js';
export { openStore, openDocumentStore, defaultStoreDir, LoomStore, sqliteOf } from './store/index.js';
export type { PgStore } from './store/pg/store.js';
export { locateStore, requireStore, describeStore, storeNotFound, storeExists } from './locate/store.js';
export type { StoreLocation, StoreSettingSource, LocateStoreInput } from './locate/store.js';
export { recipeSearchPath, defaultRecipeDirs, userRecipesDir, shippedRecipesDir } from './locate/recipes.js';
export type { RecipeDir, RecipeWhere, RecipePathOptions } from './locate/recipes.js';
export type { SearchOptions, SearchMode, StoreInfo, CheckReport, OpenStoreOptions, DocumentStore, StoreEmbedder } from './store/index.js';
export { parseFilterFlags } from './store/filter.js';
export { listDocuments, readDocument } from './store/documents-view.js';
export type { StoredDocument } from './store/documents-view.js';
export { LoomVectorStore } from './store/langchain.js';
export type { LoomFilter } from './store/langchain.js';
export { ingest } from './ingest/index.js';
export type { IngestOptions, IngestSummary, IngestProgress } from './ingest/index.js';
export { retrainIfStale, MIN_CHUNKS as LEARNED_MIN_CHUNKS } from './learned/lifecycle.js';
export type { RetrainResult } from './learned/lifecycle.js';
export { describeSpace } from './learned/file.js';
export type { SpaceInfo } from './learned/file.js';
// --- community sources (sources/): loom sync
export { syncSources, loadSources, DEFAULT_SOURCES_FILE } from './sources/index.js';
export type { SyncOptions, SyncSummary, SourceSummary, SourceSpec, SourcesFile, SourceKind, SourceCounts, SyncDocument, DocumentKind } from './sources/index.js';
// text/ and embeddings/ (text helper)
export { tokenize, segmentForIndex, isStopword } from './text/segment.js';
export { detectLanguage, detectLanguageSync, detectChunkLanguage } from './text/lang.js';
export type { Lang } from './text/lang.js';
export { chunkMarkdown, chunkPlainText, chunkContextText } from './text/chunk.js';
export type { TextChunk, ParsedDocument, ChunkOptions } from './text/chunk.js';
export { splitSentences } from './text/sentences.js';
export { htmlToMarkdownish } from './text/html.js';
export { expandQuery } from './text/crosslingual.js';
export { LocalEmbeddings, createEmbedder, localEmbedder } from './embeddings/index.js';
export type { EmbedderHandle } from './embeddings/index.js';

// --- ask (ask/): what `loom ask` does, for the library and `loom serve`
export { ask, pageUrl, EXTRACTIVE_NOTE } from './ask/ask.js';
export type { AskOptions, AskResult, AskCitation } from './ask/ask.js';

// --- eval (eval/)
export { evaluateRetrieval, aggregate as aggregateRetrieval, cutoffs } from './eval/retrieval.js';
export type { RetrievalEvalOptions, RetrievalReport, RetrievalRow, RetrievalAggregate, RetrievalMode, SearchableStore } from './eval/retrieval.js';
export { scoreRanking, pagesFromHits, ndcgAtK, recallAtK, mrrAtK, successAtK } from './eval/metrics.js';
export type { Judgements, RankedPage, QueryScores } from './eval/metrics.js';
export { readQueriesJsonl, parseQueriesJsonl } from './eval/cases.js';
export type { EvalQuery } from './eval/cases.js';
export { readBeir, parseQrels } from './eval/beir.js';
export type { BeirDataset, BeirDocument, BeirPaths } from './eval/beir.js';
export { formatRetrievalReport, formatRetrievalTable, formatMisses, formatTable, formatAnswerReport } from './eval/report.js';
export { evaluateAnswers, aggregateAnswers } from './eval/answers.js';
export type { AnswerEvalOptions, AnswerReport, AnswerRow, AnswerAggregate } from './eval/answers.js';
export { ingestBeirCorpus } from './eval/beir-store.js';

// --- pipeline tests (testkit/)
export { runPipelineTests, summarizeTestRun, isOfflineRun } from './testkit/run-tests.js';
export type { CaseResult, CaseStatus, TestRunSummary, PipelineTestOptions } from './testkit/run-tests.js';
export { checkAssertion, readPath } from './testkit/assertions.js';
export type { AssertionResult, AssertionContext } from './testkit/assertions.js';
