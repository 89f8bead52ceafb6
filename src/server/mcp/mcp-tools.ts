import { z } from 'zod';
import { type Answer, assertMayUseUseCase, mayUseUseCase, searchFiltersOfUseCase } from '../../answer/index.ts';
import { type Caller, GroundworkError, malformedText } from '../../core/index.ts';
import type { Platform } from '../../create-platform.ts';
import { authorize, type Scope } from '../../govern/index.ts';
import { documentText } from '../../ingest/index.ts';
import type { McpActionsPort } from './mcp-actions-port.ts';

/**
 * The MCP tools: each one is a translator to the function the HTTP route of the same capability calls —
 * `search` → the retriever (as `POST /v1/search`, within a use case's rules when one is named), `answer` → the
 * answerer (as `POST /v1/answers`: rollout availability, budgets, refusals), `fetch_document` → ingest's
 * `documentText` (the access predicate of `GET /v1/documents/:id`, never an administrator bypass: it returns
 * text), `propose_action` → the actions port. Each tool declares the scope it needs, checked per call.
 */
export interface McpToolContext {
  readonly platform: Platform;
  readonly caller: Caller;
  readonly actions: McpActionsPort | undefined;
}

export interface McpTool {
  readonly name: string;
  readonly title: string;
  readonly scope: Scope;
  readonly annotations: {
    readonly readOnlyHint: boolean;
    readonly destructiveHint?: boolean;
    readonly idempotentHint?: boolean;
    readonly openWorldHint?: boolean;
  };
  /** Written for the caller (their use cases, their actions): the model reading it picks arguments from it. */
  description(context: McpToolContext): Promise<string>;
  readonly input: z.ZodType;
  readonly output?: z.ZodType;
  /** Returns the structured result; throws a GroundworkError (reported as an MCP tool error with its code and fix). */
  run(context: McpToolContext, input: unknown): Promise<Record<string, unknown>>;
}

const useCaseName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, 'a use case name (lowercase letters, digits, - and _)');

/** The use cases this caller may ask, for tool descriptions (names only). */
async function usableUseCases(context: McpToolContext): Promise<string[]> {
  const all = await context.platform.answerer.useCases.list();
  return all.filter((useCase) => mayUseUseCase(useCase, context.caller)).map((useCase) => useCase.name);
}

const searchInput = z.strictObject({
  query: z.string().trim().min(1).max(2000).describe('The words to search for.'),
  useCase: useCaseName.optional().describe("Search within this use case's sources and filters (you must be allowed to use it)."),
  limit: z.number().int().min(1).max(100).default(10).describe('Number of passages, 1-100 (default 10).'),
  mode: z
    .enum(['lexical', 'vector', 'hybrid'])
    .optional()
    .describe('Ranking: BM25 (lexical), embeddings (vector) or both (hybrid); default: hybrid when embeddings exist.'),
});

const passage = z.object({
  rank: z.number(),
  documentId: z.string(),
  chunkId: z.string(),
  title: z.string(),
  text: z.string(),
  score: z.number(),
  uri: z.string().describe('Where the document lives (its citation link).'),
  page: z.number().nullable(),
  sectionPath: z.array(z.string()),
});

const searchOutput = z.object({
  passages: z.array(passage),
  mode: z.string(),
  tookMs: z.number(),
});

const searchTool: McpTool = {
  name: 'search',
  title: 'Search documents',
  scope: 'search',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async description(context) {
    const names = await usableUseCases(context);
    return [
      "Search the organisation's documents you may read (permission-aware BM25 / vector / hybrid).",
      'Returns passages with their document id, chunk id, title, text, score and citation uri, best first.',
      'Pass a documentId to fetch_document to read more of a document.',
      names.length > 0 ? `Use cases you may search within: ${names.join(', ')}.` : '',
    ]
      .filter(Boolean)
      .join(' ');
  },
  input: searchInput,
  output: searchOutput,
  async run({ platform, caller }, raw) {
    const input = raw as z.output<typeof searchInput>;
    let scope: {
      synonyms?: Readonly<Record<string, readonly string[]>>;
      filters?: Awaited<ReturnType<typeof searchFiltersOfUseCase>>;
    } = {};
    if (input.useCase) {
      // The use case's rules, as its answers apply them: its audience, its rollout, its sources and filters.
      const useCase = await platform.answerer.useCases.require(input.useCase);
      assertMayUseUseCase(useCase, caller);
      await platform.rollout.check(useCase.name, caller);
      scope = {
        filters: await searchFiltersOfUseCase(platform.db, useCase),
        ...(useCase.retrieval.synonyms ? { synonyms: useCase.retrieval.synonyms } : {}),
      };
    }
    const result = await platform.retriever.search({
      query: input.query,
      caller,
      k: input.limit,
      ...(input.mode ? { mode: input.mode } : {}),
      ...scope,
    });
    return {
      passages: result.hits.map((hit) => ({
        rank: hit.rank,
        documentId: hit.documentId,
        chunkId: hit.chunkId,
        title: hit.title,
        text: hit.text,
        score: hit.scores.rerank ?? hit.scores.fused,
        uri: hit.uri,
        page: hit.pageStart,
        sectionPath: [...hit.sectionPath],
      })),
      mode: result.mode,
      tookMs: result.tookMs,
    };
  },
};

const answerInput = z.strictObject({
  question: z.string().trim().min(1).max(4000).describe('The question, in your own words.'),
  useCase: useCaseName.describe('The use case to ask (its sources, prompt, model and audience).'),
});

const citation = z.object({
  n: z.number(),
  documentId: z.string(),
  chunkId: z.string(),
  title: z.string(),
  uri: z.string(),
  page: z.number().nullable(),
  snippet: z.string(),
});

const answerOutput = z.object({
  answer: z.string(),
  citations: z.array(citation),
  confidence: z.number(),
  refused: z.boolean(),
  refusalReason: z.string().optional(),
  mode: z.string(),
  useCase: z.string(),
  traceId: z.string(),
  warnings: z.array(z.object({ code: z.string(), documentId: z.string(), message: z.string() })),
});

function answerView(answer: Answer): Record<string, unknown> {
  return {
    answer: answer.answer,
    citations: answer.citations.map((c) => ({
      n: c.n,
      documentId: c.documentId,
      chunkId: c.chunkId,
      title: c.title,
      uri: c.uri,
      page: c.page,
      snippet: c.snippet,
    })),
    confidence: answer.confidence,
    refused: answer.refused,
    ...(answer.refusalReason ? { refusalReason: answer.refusalReason } : {}),
    mode: answer.mode,
    useCase: answer.useCase,
    traceId: answer.traceId,
    warnings: answer.warnings.map((w) => ({ code: w.code, documentId: w.documentId, message: w.message })),
  };
}

const answerTool: McpTool = {
  name: 'answer',
  title: 'Ask for a cited answer',
  scope: 'ask',
  // Not idempotent: every answer is a new trace and counts against the use case's budget.
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async description(context) {
    const names = await usableUseCases(context);
    return [
      'Answer a question from the documents you may read, through a use case, with numbered citations [n].',
      'When the documents do not support an answer it refuses (refused: true) rather than guess.',
      names.length > 0 ? `Use cases you may ask: ${names.join(', ')}.` : 'You may not ask any use case.',
    ].join(' ');
  },
  input: answerInput,
  output: answerOutput,
  async run({ platform, caller }, raw) {
    const input = raw as z.output<typeof answerInput>;
    return answerView(await platform.answerer.ask({ question: input.question, caller, useCase: input.useCase }));
  },
};

const fetchInput = z.strictObject({
  documentId: z.string().min(1).max(200).describe('A documentId from search or answer citations.'),
  fromChunk: z.number().int().min(0).default(0).describe('Continue from this chunk (nextChunk of the previous page).'),
  maxChars: z
    .number()
    .int()
    .min(500)
    .max(50_000)
    .default(20_000)
    .describe('At most this many characters of text per page (default 20000).'),
});

const fetchOutput = z.object({
  documentId: z.string(),
  title: z.string(),
  uri: z.string(),
  mediaType: z.string(),
  chunkCount: z.number(),
  text: z.string(),
  chunks: z.array(
    z.object({
      chunkId: z.string(),
      ordinal: z.number(),
      pageStart: z.number().nullable(),
      pageEnd: z.number().nullable(),
      sectionPath: z.array(z.string()),
    }),
  ),
  nextChunk: z.number().nullable(),
});

const fetchDocumentTool: McpTool = {
  name: 'fetch_document',
  title: 'Read a document',
  scope: 'documents:read',
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async description() {
    return [
      'The text of one document you may read, in pages of whole passages (chunks) in document order.',
      'When nextChunk is not null, call again with fromChunk = nextChunk for the rest.',
      'A document you may not read is reported exactly like one that does not exist.',
    ].join(' ');
  },
  input: fetchInput,
  output: fetchOutput,
  async run({ platform, caller }, raw) {
    const input = raw as z.output<typeof fetchInput>;
    // A trace like a search's: who read which chunks (ids only), withheld from trace views once unreadable.
    return platform.tracer.inSpan(
      'document.fetch',
      undefined,
      async (span) => {
        const page = await documentText(platform.db, input.documentId, caller, {
          fromChunk: input.fromChunk,
          maxChars: input.maxChars,
        });
        span.setAttributes({
          'groundwork.retrieved': page.chunks.map((c) => ({ chunkId: c.chunkId, documentId: page.documentId, score: 1 })),
          'groundwork.documents': 1,
        });
        return {
          documentId: page.documentId,
          title: page.title,
          uri: page.uri,
          mediaType: page.mediaType,
          chunkCount: page.chunkCount,
          text: page.chunks.map((c) => c.text).join('\n\n'),
          chunks: page.chunks.map(({ text: _text, ...chunk }) => ({ ...chunk, sectionPath: [...chunk.sectionPath] })),
          nextChunk: page.nextChunk,
        };
      },
      {
        'groundwork.operation': 'document',
        'groundwork.caller': caller.id,
        'groundwork.caller.sees_everything': caller.seesEverything,
      },
    );
  },
};

const proposeInput = z.strictObject({
  action: z.string().min(1).max(200).describe('The name of one of your allowed actions (listed in this description).'),
  input: z.record(z.string(), z.unknown()).describe("The action's input, matching its input schema."),
  reasoning: z
    .string()
    .max(4000)
    .optional()
    .describe('A short summary of why, shown to the person who approves or denies the proposal.'),
});

const proposeActionTool: McpTool = {
  name: 'propose_action',
  title: 'Propose an action for approval',
  // Proposing needs the asking role; which actions a caller may propose is the actions policy's decision.
  scope: 'ask',
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async description({ actions, caller }) {
    if (!actions) {
      return 'Propose an action for human approval. Actions are not configured on this server: there are no actions to propose.';
    }
    const allowed = await actions.list(caller);
    if (allowed.length === 0) return 'Propose an action for human approval. You may not propose any action.';
    const listed = allowed.map(
      (action) =>
        `- ${action.name}: ${action.description}${hintsText(action.hints)}\n  input schema: ${JSON.stringify(action.inputSchema)}`,
    );
    return [
      'Propose an action for human approval (or run it, for actions the policy lets run automatically).',
      'Nothing happens before a person approves a proposal. Your allowed actions:',
      ...listed,
    ].join('\n');
  },
  input: proposeInput,
  async run({ actions, caller }, raw) {
    const input = raw as z.output<typeof proposeInput>;
    if (!actions) {
      throw new GroundworkError('mcp.actions_not_configured', 'Actions are not configured on this server.', {
        category: 'not_found',
        fix: 'Use search, answer and fetch_document; an operator can configure actions (docs/mcp.md).',
      });
    }
    const result = await actions.propose(caller, input.action, input.input, input.reasoning);
    return { proposal: result as unknown };
  },
};

function hintsText(hints: Readonly<Record<string, unknown>> | undefined): string {
  const set = Object.entries(hints ?? {})
    .filter(([, value]) => value === true)
    .map(([key]) => key);
  return set.length > 0 ? ` (${set.join(', ')})` : '';
}

/** Every tool, in the order clients list them. */
export const mcpTools: readonly McpTool[] = [searchTool, answerTool, fetchDocumentTool, proposeActionTool];

/**
 * Parses a tool's arguments with its schema, or throws `request.invalid` naming each bad argument (as the HTTP
 * routes name bad fields), text PostgreSQL cannot store first.
 */
export function parseToolArguments(tool: McpTool, args: unknown): unknown {
  const malformed = malformedText(args, ['arguments']);
  const result = malformed.length === 0 ? tool.input.safeParse(args ?? {}) : undefined;
  if (result?.success) return result.data;
  const issues =
    malformed.length > 0
      ? malformed
      : (result?.error.issues ?? []).map((issue) => ({
          path: ['arguments', ...issue.path.map(String)].join('.'),
          message: issue.message,
        }));
  throw new GroundworkError(
    'request.invalid',
    `The arguments of ${tool.name} are invalid: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}.`,
    {
      category: 'usage',
      fix: `Correct the arguments listed; tools/list gives the input schema of ${tool.name}.`,
      details: { issues },
    },
  );
}

/** The JSON schema a client sees for a zod schema (input side: fields with defaults are optional). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return json;
}

/** The tool's required scope, checked per call (the route's scope only admits the caller to MCP at all). */
export function authorizeTool(tool: McpTool, caller: Caller): void {
  authorize(caller, tool.scope);
}
