import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { z } from 'zod';
import {
  type Answer,
  type Answerer,
  assertMayUseUseCase,
  deleteUseCase,
  mayUseUseCase,
  saveUseCase,
  type UseCase,
  useCaseInputSchema,
} from '../../answer/index.ts';
import { type Caller, GroundworkError, newId, toGroundworkError } from '../../core/index.ts';
import type { Platform } from '../../create-platform.ts';
import { defineRoute, type RouteDefinition } from '../define-route.ts';
import { errorBody } from '../http-errors.ts';
import { changeResult, pendingChangeResponse } from './change-routes.ts';

/** The platform's answerer (wired in the composition root with the configured models). */
export function answererOf(platform: Platform): Answerer {
  return platform.answerer;
}

const useCaseName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/);

const citationSchema = z.object({
  n: z.number(),
  chunkId: z.string(),
  documentId: z.string(),
  title: z.string(),
  uri: z.string(),
  page: z.number().nullable(),
  snippet: z.string(),
});

const warningSchema = z.object({
  code: z.literal('answer.injection_suspected'),
  documentId: z.string(),
  message: z.string(),
});

const answerSchema = z
  .object({
    answer: z.string(),
    citations: z.array(citationSchema),
    warnings: z.array(warningSchema),
    confidence: z.number(),
    refused: z.boolean(),
    refusalReason: z.string().optional(),
    mode: z.enum(['generative', 'extractive']),
    label: z.string(),
    usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }),
    traceId: z.string(),
    useCase: z.string(),
    model: z.string().optional(),
    promptVersion: z.string(),
    tookMs: z.number(),
  })
  .meta({ id: 'Answer' });

/** Use cases are configuration: callers see only those they may ask. */
function viewOfUseCase(useCase: UseCase): Record<string, unknown> {
  return JSON.parse(JSON.stringify(useCase)) as Record<string, unknown>;
}

/** Streams an answer as Server-Sent Events: `token` {text}…, then `final` {answer} or `error` {error}. */
function streamAnswer(
  c: Context,
  answerer: Answerer,
  question: string,
  caller: Caller,
  useCase: string | undefined,
  requestId: string,
) {
  return streamSSE(c, async (sse) => {
    const abort = new AbortController();
    sse.onAbort(() => abort.abort());
    try {
      for await (const event of answerer.stream({ question, caller, ...(useCase ? { useCase } : {}), signal: abort.signal })) {
        if (event.type === 'token') await sse.writeSSE({ event: 'token', data: JSON.stringify({ text: event.text }) });
        else await sse.writeSSE({ event: 'final', data: JSON.stringify(event.answer) });
      }
    } catch (error) {
      await sse.writeSSE({ event: 'error', data: JSON.stringify(errorBody(toGroundworkError(error), requestId)) });
    }
  });
}

/** Answers (JSON or SSE), use cases, and the OpenAI-compatible chat completions endpoint. */
export function answerRoutes(): RouteDefinition[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/answers',
      summary: 'Ask a question of a use case: a cited answer (JSON), or Server-Sent Events with `stream: true`',
      description:
        'With `stream: true` (or `Accept: text/event-stream`) the response is `text/event-stream`: `token` events with `{ text }` as the model writes, then one `final` event with the post-processed answer (citations resolved, confidence), or an `error` event.',
      tags: ['answers'],
      scope: 'ask',
      request: {
        body: z.strictObject({
          question: z.string().trim().min(1).max(4000),
          useCase: useCaseName.optional(),
          stream: z.boolean().default(false),
        }),
      },
      responses: {
        200: { description: 'The answer (or an event stream)', schema: answerSchema },
      },
      handler: async ({ platform, caller, body, c, requestId }) => {
        const answerer = answererOf(platform);
        const wantsStream = body.stream || (c.req.header('accept') ?? '').includes('text/event-stream');
        if (wantsStream) {
          // Fail before the stream starts when the use case is unknown or not allowed: a proper status code.
          const useCase = await answerer.useCases.require(body.useCase ?? 'default');
          assertMayUseUseCase(useCase, caller);
          await platform.rollout.check(useCase.name, caller);
          return streamAnswer(c, answerer, body.question, caller, body.useCase, requestId);
        }
        return answerer.ask({ question: body.question, caller, ...(body.useCase ? { useCase: body.useCase } : {}) });
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/use-cases',
      summary: 'Use cases the caller may ask',
      tags: ['answers'],
      scope: 'usecases:read',
      responses: {
        200: { description: 'Use cases', schema: z.object({ useCases: z.array(z.record(z.string(), z.unknown())) }) },
      },
      handler: async ({ platform, caller }) => ({
        useCases: (await answererOf(platform).useCases.list()).filter((u) => mayUseUseCase(u, caller)).map(viewOfUseCase),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/use-cases/:name',
      summary: 'One use case (404 when it does not exist or the caller may not ask it)',
      tags: ['answers'],
      scope: 'usecases:read',
      request: { params: z.object({ name: useCaseName }) },
      responses: { 200: { description: 'Use case', schema: z.record(z.string(), z.unknown()) } },
      handler: async ({ platform, caller, params }) => {
        const useCase = await answererOf(platform).useCases.get(params.name);
        if (!useCase || !mayUseUseCase(useCase, caller)) {
          throw new GroundworkError('use_case.not_found', `There is no use case "${params.name}" that you may use.`, {
            category: 'not_found',
            fix: 'List the use cases you may ask with GET /v1/use-cases.',
          });
        }
        return viewOfUseCase(useCase);
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/use-cases/:name',
      summary: 'Create or update a use case (partial); a use case past draft answers 202 with a change request',
      tags: ['answers'],
      scope: 'usecases:write',
      request: { params: z.object({ name: useCaseName }), body: useCaseInputSchema },
      responses: {
        200: { description: 'The use case', schema: z.record(z.string(), z.unknown()) },
        202: pendingChangeResponse,
      },
      handler: async ({ platform, caller, params, body, requestId, c }) =>
        changeResult(c, await saveUseCase(platform.governance, platform.db, caller, params.name, body, { requestId }), (u) => u),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/use-cases/:name',
      summary: 'Delete a use case; one past draft answers 202 with a change request',
      tags: ['answers'],
      scope: 'usecases:write',
      request: { params: z.object({ name: useCaseName }) },
      responses: { 200: { description: 'Deleted', schema: z.object({ deleted: z.string() }) }, 202: pendingChangeResponse },
      handler: async ({ platform, caller, params, requestId, c }) =>
        changeResult(c, await deleteUseCase(platform.governance, platform.db, caller, params.name, { requestId }), (r) => r),
    }),
    chatCompletionsRoute(),
    ...modelRoutes(),
  ];
}

const modelSchema = z
  .object({
    id: z.string(),
    object: z.literal('model'),
    created: z.number(),
    owned_by: z.literal('groundwork'),
  })
  .meta({ id: 'Model' });

/** A use case as an OpenAI model: clients pick it by name, `created` in unix seconds. */
function modelOf(useCase: UseCase) {
  return {
    id: useCase.name,
    object: 'model' as const,
    created: Math.floor(useCase.createdAt.getTime() / 1000),
    owned_by: 'groundwork' as const,
  };
}

/**
 * OpenAI-compatible model listing (`client.models.list()` fills a client's model picker): the use cases the
 * caller may ask, as models. One the caller may not use is a 404 exactly like one that does not exist.
 */
function modelRoutes(): RouteDefinition[] {
  const notFound = (id: string) =>
    new GroundworkError('use_case.not_found', `The model "${id}" does not exist or you do not have access to it.`, {
      category: 'not_found',
      fix: 'List the models (use cases) you may use with GET /v1/models.',
    });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/models',
      summary: 'OpenAI-compatible: the use cases the caller may ask, as models (`model` of /v1/chat/completions)',
      tags: ['answers'],
      scope: 'ask',
      responses: {
        200: {
          description: 'Models',
          schema: z.object({ object: z.literal('list'), data: z.array(modelSchema) }),
        },
      },
      handler: async ({ platform, caller }) => ({
        object: 'list',
        data: (await answererOf(platform).useCases.list()).filter((u) => mayUseUseCase(u, caller)).map(modelOf),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/models/:id',
      summary: 'OpenAI-compatible: one use case as a model (404 when it does not exist or the caller may not ask it)',
      tags: ['answers'],
      scope: 'ask',
      request: { params: z.object({ id: z.string().min(1).max(200) }) },
      responses: { 200: { description: 'Model', schema: modelSchema } },
      handler: async ({ platform, caller, params }) => {
        // Only names a use case can have are looked up; anything else is as missing as an unknown name.
        const useCase = useCaseName.safeParse(params.id).success ? await answererOf(platform).useCases.get(params.id) : undefined;
        if (!useCase || !mayUseUseCase(useCase, caller)) throw notFound(params.id);
        return modelOf(useCase);
      },
    }),
  ];
}

const chatMessage = z.looseObject({
  role: z.enum(['system', 'developer', 'user', 'assistant', 'tool']),
  content: z.union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() })), z.null()]),
});

function messageText(content: z.infer<typeof chatMessage>['content']): string {
  if (typeof content === 'string') return content;
  if (!content) return '';
  return content
    .filter((part) => part.type === 'text' && typeof part.text === 'string')
    .map((part) => part.text)
    .join('\n');
}

function usageOf(answer: Answer) {
  return {
    prompt_tokens: answer.usage.inputTokens,
    completion_tokens: answer.usage.outputTokens,
    total_tokens: answer.usage.inputTokens + answer.usage.outputTokens,
  };
}

/** Extension fields on responses and on the final chunk: what an OpenAI client ignores, a Groundwork one reads. */
function groundworkFields(answer: Answer) {
  return {
    citations: answer.citations,
    groundwork: {
      traceId: answer.traceId,
      confidence: answer.confidence,
      refused: answer.refused,
      ...(answer.refusalReason ? { refusalReason: answer.refusalReason } : {}),
      mode: answer.mode,
      label: answer.label,
      useCase: answer.useCase,
      warnings: answer.warnings,
    },
  };
}

/**
 * OpenAI Chat Completions compatible endpoint. `model` names a use case; the last user message is the
 * question (earlier turns are not used: every answer is grounded in retrieval for that question alone).
 */
function chatCompletionsRoute(): RouteDefinition {
  return defineRoute({
    method: 'post',
    path: '/v1/chat/completions',
    summary: 'OpenAI-compatible chat completions: `model` = use case, last user message = question; citations in `citations`',
    tags: ['answers'],
    scope: 'ask',
    request: {
      body: z.looseObject({
        model: z.string().min(1).max(64),
        messages: z.array(chatMessage).min(1).max(200),
        stream: z.boolean().nullable().optional(),
        stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
      }),
    },
    responses: {
      200: {
        description: 'A chat completion (or `chat.completion.chunk` events when streaming)',
        schema: z.object({
          id: z.string(),
          object: z.literal('chat.completion'),
          created: z.number(),
          model: z.string(),
          choices: z.array(z.record(z.string(), z.unknown())),
          usage: z.record(z.string(), z.number()),
          citations: z.array(citationSchema),
        }),
      },
    },
    handler: async ({ platform, caller, body, c, requestId }) => {
      const question = messageText([...body.messages].reverse().find((m) => m.role === 'user')?.content ?? null).trim();
      if (!question) {
        throw new GroundworkError('chat.no_question', 'The messages contain no user message with text.', {
          category: 'usage',
          fix: 'Send at least one message with role "user" and text content.',
        });
      }
      const answerer = answererOf(platform);
      const useCase = body.model;
      const id = `chatcmpl-${newId('ans').slice(4)}`;
      const created = Math.floor(platform.clock.now().getTime() / 1000);
      if (!body.stream) {
        const answer = await answerer.ask({ question, caller, useCase });
        return {
          id,
          object: 'chat.completion',
          created,
          model: answer.useCase,
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: answer.answer, refusal: null },
              logprobs: null,
              finish_reason: 'stop',
            },
          ],
          usage: usageOf(answer),
          ...groundworkFields(answer),
        };
      }
      // Unknown or forbidden use case: a status code before the stream starts.
      const resolved = await answerer.useCases.require(useCase ?? 'default');
      assertMayUseUseCase(resolved, caller);
      await platform.rollout.check(resolved.name, caller);
      return streamSSE(c, async (sse) => {
        const abort = new AbortController();
        sse.onAbort(() => abort.abort());
        const chunk = (delta: Record<string, unknown>, finish: string | null, extra: Record<string, unknown> = {}) =>
          sse.writeSSE({
            data: JSON.stringify({
              id,
              object: 'chat.completion.chunk',
              created,
              model: resolved.name,
              choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
              ...extra,
            }),
          });
        try {
          await chunk({ role: 'assistant', content: '' }, null);
          let streamed = '';
          for await (const event of answerer.stream({ question, caller, useCase: resolved.name, signal: abort.signal })) {
            if (event.type === 'token') {
              streamed += event.text;
              await chunk({ content: event.text }, null);
              continue;
            }
            const answer = event.answer;
            // Post-processing (invalid citations removed, refusal) can change the text: send what differs.
            if (!streamed) await chunk({ content: answer.answer }, null);
            else if (answer.answer !== streamed) {
              await chunk({ content: answer.answer.startsWith(streamed) ? answer.answer.slice(streamed.length) : '' }, null);
            }
            await chunk({}, 'stop', {
              ...groundworkFields(answer),
              ...(body.stream_options?.include_usage ? {} : { usage: usageOf(answer) }),
            });
            if (body.stream_options?.include_usage) {
              await sse.writeSSE({
                data: JSON.stringify({
                  id,
                  object: 'chat.completion.chunk',
                  created,
                  model: resolved.name,
                  choices: [],
                  usage: usageOf(answer),
                }),
              });
            }
          }
          await sse.writeSSE({ data: '[DONE]' });
        } catch (error) {
          await sse.writeSSE({ data: JSON.stringify(errorBody(toGroundworkError(error), requestId)) });
        }
      });
    },
  });
}
