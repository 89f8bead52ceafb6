import { type ErrorCategory, GroundworkError } from '../core/index.ts';

/**
 * The CLI's HTTP client for `--server URL`: the same commands, through the API instead of the store.
 * Errors come back as the GroundworkErrors the server raised (code, message, fix), with the category
 * recovered from the HTTP status, so exit codes match direct mode.
 */
export interface ApiRequest {
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  readonly signal?: AbortSignal;
}

/** One Server-Sent Event. */
export interface ServerSentEvent {
  readonly event: string;
  readonly data: string;
}

const categoryByStatus: Record<number, ErrorCategory> = {
  400: 'usage',
  401: 'unauthenticated',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'limit',
  429: 'limit',
  503: 'unavailable',
};

export class ApiClient {
  readonly baseUrl: string;
  private readonly apiKey: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(baseUrl: string, apiKey?: string, fetchImpl: typeof fetch = fetch) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.apiKey = apiKey;
    this.fetchImpl = fetchImpl;
  }

  get<T>(path: string, request: ApiRequest = {}): Promise<T> {
    return this.request<T>('GET', path, request);
  }

  post<T>(path: string, body: unknown, request: ApiRequest = {}): Promise<T> {
    return this.request<T>('POST', path, { ...request, body });
  }

  delete<T>(path: string, request: ApiRequest = {}): Promise<T> {
    return this.request<T>('DELETE', path, request);
  }

  async request<T>(method: string, path: string, request: ApiRequest = {}): Promise<T> {
    const response = await this.send(method, path, request, 'application/json');
    return (await response.json()) as T;
  }

  /** POSTs and returns the response body as text (JSONL exports). */
  async postText(path: string, body: unknown, request: ApiRequest = {}): Promise<string> {
    const response = await this.send('POST', path, { ...request, body }, 'application/x-ndjson');
    return response.text();
  }

  /** POSTs and yields the response's Server-Sent Events as they arrive. */
  async *stream(path: string, body: unknown, request: ApiRequest = {}): AsyncGenerator<ServerSentEvent> {
    const response = await this.send('POST', path, { ...request, body }, 'text/event-stream');
    if (!response.body) return;
    const decoder = new TextDecoder();
    let buffer = '';
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      buffer += decoder.decode(chunk, { stream: true });
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = 'message';
        const data: string[] = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length > 0) yield { event, data: data.join('\n') };
      }
    }
  }

  private async send(method: string, path: string, request: ApiRequest, accept: string): Promise<Response> {
    const url = new URL(`${this.baseUrl}${path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const headers: Record<string, string> = { accept };
    if (this.apiKey) headers.authorization = `Bearer ${this.apiKey}`;
    if (request.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchImpl(url, {
        method,
        headers,
        ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
        ...(request.signal ? { signal: request.signal } : {}),
      });
    } catch (error) {
      throw new GroundworkError(
        'client.unreachable',
        `Cannot reach the Groundwork server at ${this.baseUrl}: ${(error as Error).message}.`,
        {
          category: 'unavailable',
          isRetryable: true,
          fix: 'Check --server (or GROUNDWORK_SERVER_URL) and that `groundwork serve` runs there.',
          cause: error,
        },
      );
    }
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }
}

async function errorFromResponse(response: Response): Promise<GroundworkError> {
  const category = categoryByStatus[response.status] ?? (response.status >= 500 ? 'internal' : 'usage');
  let body: { error?: { code?: string; message?: string; fix?: string; requestId?: string; details?: Record<string, unknown> } } =
    {};
  try {
    body = (await response.json()) as typeof body;
  } catch {
    // not our server, or a proxy error page
  }
  const error = body.error;
  return new GroundworkError(
    error?.code ?? `http.${response.status}`,
    error?.message ?? `The server answered HTTP ${response.status} ${response.statusText}.`,
    {
      category,
      isRetryable: response.status === 429 || response.status === 503,
      ...(error?.fix ? { fix: error.fix } : {}),
      details: {
        ...(error?.details ?? {}),
        status: response.status,
        ...(error?.requestId ? { requestId: error.requestId } : {}),
      },
    },
  );
}
