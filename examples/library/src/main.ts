// Using @promptloom/core from TypeScript: load a pipeline, run it, compose it with LCEL.
//
// It runs offline: FakeChatModel from @langchain/core (it answers with the prompt it got)
// stands in for a real model. Any LangChain chat model goes in the same place, e.g.
//   const chatModels = { default: new ChatOpenAI({ model: 'gpt-4o-mini' }) };
// or leave chatModels out and configure `models:` in the YAML (or LOOM_MODEL) instead.
import { fileURLToPath } from 'node:url';
import { RunnableLambda } from '@langchain/core/runnables';
import { FakeChatModel } from '@langchain/core/utils/testing';
import { isLoomError, loadPipeline, planPipeline, runPipeline, toRunnable, type RunEvent } from '@promptloom/core';

// the YAML sits beside package.json; this resolves from src/ (tsx) and dist/ (node) alike
const PIPELINE = fileURLToPath(new URL('../release-note.yaml', import.meta.url));

async function runOnce(): Promise<void> {
  const pipeline = await loadPipeline(PIPELINE);
  const plan = planPipeline(pipeline);
  console.log(`plan: ${plan.waves.map((wave, i) => `wave ${i + 1} [${wave.join(', ')}]`).join(' -> ')}`);

  const events: RunEvent[] = [];
  const result = await runPipeline(pipeline, { change: 'retries back off with jitter' }, {
    chatModels: { default: new FakeChatModel({}) },
    listeners: [(event) => events.push(event)],
  });
  if (result.status !== 'ok') throw result.error;
  console.log(`note: ${result.outputs.note}`);
  console.log(`title_zh: ${result.outputs.title_zh}`);
  for (const step of Object.values(result.steps)) {
    console.log(`step ${step.id}: ${step.status}, ${step.usage.calls} model call(s), ${step.attempts} attempt(s)`);
  }
  console.log(`events: ${events.map((e) => e.type).join(' ')}`);
}

async function composeWithLcel(): Promise<void> {
  const pipeline = await loadPipeline(PIPELINE);
  const releaseNote = toRunnable(pipeline, { chatModels: { default: new FakeChatModel({}) } });
  // A pipeline with one input takes a plain value, so it drops into a chain as is.
  const chain = RunnableLambda.from((text: string) => text.trim())
    .pipe(releaseNote)
    .pipe(RunnableLambda.from((out: Record<string, unknown>) => `${out.title_zh}`));
  console.log(`lcel: ${await chain.invoke('   faster CJK search   ')}`);
  const batch = await releaseNote.batch([{ change: 'new loom plan command' }, { change: '中文检索更快' }]);
  console.log(`batch: ${batch.map((out) => out.note).join(' | ')}`);
}

async function main(): Promise<void> {
  await runOnce();
  await composeWithLcel();
}

main().catch((error: unknown) => {
  // LoomError carries a code (branch on it), the failing step and a hint for people
  if (isLoomError(error)) console.error(`error [${error.code}]${error.stepId ? ` in step ${error.stepId}` : ''}: ${error.message}`);
  else console.error(error);
  process.exitCode = 1;
});
