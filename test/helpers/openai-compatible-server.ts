/**
 * A loopback OpenAI-compatible server for tests and benchmarks: node:http on 127.0.0.1 (port chosen by the OS)
 * implementing `POST /v1/chat/completions` (streaming as server-sent events, and non-streaming) and
 * `POST /v1/embeddings`. Responses are scripted; every request body is recorded so tests can assert exactly
 * what was sent to the "provider".
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ChatRequestBody {
  readonly model: string;
  readonly messages: ReadonlyArray<{ role: string; content: unknown }>;
  readonly stream?: boolean;
  readonly temperature?: number;
  readonly max_tokens?: number;
  readonly [key: string]: unknown;
}

export interface RecordedRequest {
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Record<string, unknown>;
}

/** What the server answers to a chat request: the text (split into stream chunks) and token usage. */
export interface ScriptedChat {
  readonly text: string;
  /** Stream chunks; default: the text split after each space. */
  readonly chunks?: readonly string[];
  readonly promptTokens?: number;
  readonly completionTokens?: number;
  /** HTTP status to fail with instead (e.g. 429, 500). */
  readonly status?: number;
  /** Non-streaming only: tool calls the assistant makes (finish_reason `tool_calls`); `arguments` as an object. */
  readonly toolCalls?: ReadonlyArray<{ readonly name: string; readonly arguments: unknown }>;
}

export interface OpenAICompatibleServerOptions {
  /** Chat response per request; default echoes the last user message. */
  readonly chat?: (body: ChatRequestBody) => ScriptedChat;
  /** Embedding per input; default a deterministic hash-derived vector of `dimensions`. */
  readonly embed?: (input: string) => number[];
  readonly dimensions?: number;
  /** Keep at most this many recorded requests (benchmarks send thousands). Default 1000. */
  readonly maxRecorded?: number;
}

export interface OpenAICompatibleServer {
  /** Base URL including `/v1`, e.g. `http://127.0.0.1:41234/v1`. */
  readonly baseUrl: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part === 'object' && part && 'text' in part ? String(part.text) : '')).join('');
  }
  return '';
}

/** Echoes the whole prompt (system and user messages): the worst case for leaks, used by injection tests. */
export function echoPrompt(body: ChatRequestBody): ScriptedChat {
  return { text: body.messages.map((m) => textOf(m.content)).join('\n') };
}

function hashVector(input: string, dimensions: number): number[] {
  let h = 2166136261;
  const out: number[] = [];
  for (let i = 0; i < dimensions; i++) {
    for (const ch of `${i}:${input}`) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    out.push((h % 2000) / 1000 - 1);
  }
  return out;
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const raw = Buffer.concat(parts).toString('utf8');
  return raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
}

export async function startOpenAICompatibleServer(options: OpenAICompatibleServerOptions = {}): Promise<OpenAICompatibleServer> {
  const requests: RecordedRequest[] = [];
  const maxRecorded = options.maxRecorded ?? 1000;
  const dimensions = options.dimensions ?? 8;
  const chat =
    options.chat ??
    ((body: ChatRequestBody): ScriptedChat => ({
      text: textOf([...body.messages].reverse().find((m) => m.role === 'user')?.content ?? ''),
    }));
  let counter = 0;

  const server: Server = createServer((req, res) => {
    readBody(req)
      .then((body) => {
        const path = (req.url ?? '').replace(/\?.*$/, '');
        if (requests.length >= maxRecorded) requests.shift();
        requests.push({ path, headers: req.headers, body });
        if (req.method === 'POST' && path === '/v1/chat/completions') {
          const script = chat(body as unknown as ChatRequestBody);
          if (script.status && script.status >= 400) {
            res.writeHead(script.status, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ error: { message: `scripted failure ${script.status}`, type: 'server_error' } }));
            return;
          }
          const id = `chatcmpl-${++counter}`;
          const created = Math.floor(Date.now() / 1000);
          const model = String(body.model ?? 'test-model');
          const usage = {
            prompt_tokens: script.promptTokens ?? 100,
            completion_tokens: script.completionTokens ?? Math.max(1, Math.ceil(script.text.length / 4)),
            total_tokens: 0,
          };
          usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
          if (body.stream) {
            res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
            const chunks = script.chunks ?? script.text.split(/(?<= )/);
            const frame = (payload: unknown) => res.write(`data: ${JSON.stringify(payload)}\n\n`);
            frame({
              id,
              object: 'chat.completion.chunk',
              created,
              model,
              choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }],
            });
            for (const chunk of chunks) {
              frame({
                id,
                object: 'chat.completion.chunk',
                created,
                model,
                choices: [{ index: 0, delta: { content: chunk }, finish_reason: null }],
              });
            }
            frame({
              id,
              object: 'chat.completion.chunk',
              created,
              model,
              choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
            });
            frame({ id, object: 'chat.completion.chunk', created, model, choices: [], usage });
            res.end('data: [DONE]\n\n');
            return;
          }
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id,
              object: 'chat.completion',
              created,
              model,
              choices: [
                script.toolCalls?.length
                  ? {
                      index: 0,
                      message: {
                        role: 'assistant',
                        content: script.text || null,
                        tool_calls: script.toolCalls.map((call, i) => ({
                          id: `call_${id}_${i}`,
                          type: 'function',
                          function: { name: call.name, arguments: JSON.stringify(call.arguments) },
                        })),
                      },
                      finish_reason: 'tool_calls',
                    }
                  : { index: 0, message: { role: 'assistant', content: script.text }, finish_reason: 'stop' },
              ],
              usage,
            }),
          );
          return;
        }
        if (req.method === 'POST' && path === '/v1/embeddings') {
          const input = body.input;
          const inputs = Array.isArray(input) ? input.map(String) : [String(input ?? '')];
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              object: 'list',
              model: String(body.model ?? 'test-embedding'),
              data: inputs.map((text, index) => ({
                object: 'embedding',
                index,
                embedding: options.embed ? options.embed(text) : hashVector(text, dimensions),
              })),
              usage: { prompt_tokens: inputs.length, total_tokens: inputs.length },
            }),
          );
          return;
        }
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: `no route ${req.method} ${path}` } }));
      })
      .catch((error: unknown) => {
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: String(error) } }));
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
