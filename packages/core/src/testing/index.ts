// @promptloom/core/testing: fakes for test suites (ours and users'). Not part of the main entry.
export { startFakeOpenAI } from './fake-openai.js';
export type { FakeOpenAI, FakeScript, FakeHandler } from './fake-openai.js';
export { lastUserMessage, allMessagesText, fakeEmbedding, defaultChatContent, roughTokens } from './replies.js';
export type { FakeReply, Fault, RecordedRequest, Endpoint } from './replies.js';
export { pipelineWithModels } from './pipelines.js';
export { redisForTests, testQueuePrefix, dropQueuePrefix, queueWorkerCount, queueJobs } from './redis.js';
export type { TestRedis } from './redis.js';
export { startServer, send, sendJson, queryOf } from './http-server.js';
export type { FakeServer, LoggedRequest, Route } from './http-server.js';
export { startFakeSite, docsPage } from './fake-site.js';
export type { FakeSite, FakeSiteOptions, FakePage } from './fake-site.js';
export { startFakeDiscourse } from './fake-discourse.js';
export type { FakeDiscourse, FakeTopic, FakePost, FakeCategory } from './fake-discourse.js';
export { startFakeGithub } from './fake-github.js';
export type { FakeGithub, FakeIssue, FakeDiscussion } from './fake-github.js';
