// @promptloom/server: `loom serve` and `loom mcp`. Named exports only.
export { startServer, startMcpStdio } from './server.js';
export type { RunningServer } from './server.js';
export { DEFAULTS, MAX_BODY_LIMIT, isLoopback } from './options.js';
export type { ServeOptions } from './options.js';
export { serve } from './cluster.js';
export type { ServeHandle } from './cluster.js';
