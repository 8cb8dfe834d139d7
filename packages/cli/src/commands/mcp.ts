import { stopSignal, type RegisterCommand } from './types.js';
import { STORE_HELP, storeAt } from '../store-flag.js';

interface McpFlags {
  store?: string;
  model?: string;
  pipelines?: string;
}

export const register: RegisterCommand = (program, io) => {
  program
    .command('mcp')
    .description('an MCP server on stdin/stdout: tools search, ask, run_pipeline; the store\'s documents as resources')
    .option('--store <dir>', STORE_HELP)
    .option('--model <provider:name>', 'model for generated answers (default: $LOOM_MODEL; none: extractive)')
    .option('--pipelines <dir>', 'a folder of project pipelines to offer beside the recipes')
    .addHelpText('after', `
For a desktop MCP client (e.g. Claude Desktop's claude_desktop_config.json):
  { "mcpServers": { "docs": { "command": "loom", "args": ["mcp", "--store", "/path/to/.loom"] } } }
Over HTTP, \`loom serve\` answers MCP at /mcp (streamable HTTP).`)
    .action(async (flags: McpFlags) => {
      const core = await import('@promptloom/core');
      const server = await import('@promptloom/server');
      const mcp = await server.startMcpStdio({
        store: storeAt(flags.store, io).location, model: flags.model, pipelinesDir: flags.pipelines,
        cwd: io.cwd, env: io.env, log: (line) => io.stderr.write(`${line}\n`),
      });
      // the client ends the session by closing stdin
      await Promise.race([stopSignal(), new Promise<void>((resolve) => io.stdin.once('end', () => resolve()))]);
      await mcp.close();
    });
};
