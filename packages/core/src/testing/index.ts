// @promptloom/core/testing: fakes for test suites (ours and users'). Not part of the main entry.
export { startFakeOpenAI } from './fake-openai.js';
export type { FakeOpenAI, FakeScript, FakeHandler } from './fake-openai.js';
export { lastUserMessage, allMessagesText, fakeEmbedding, defaultChatContent, roughTokens } from './replies.js';
export type { FakeReply, Fault, RecordedRequest, Endpoint } from './replies.js';
export { pipelineWithModels } from './pipelines.js';
export { redisForTests, testQueuePrefix, dropQueuePrefix } from './redis.js';
export type { TestRedis } from './redis.js';
