import type { GroundworkConfig, SpanRecord } from '../core/index.ts';

/**
 * Prices in US dollars, per model, used to cost every span that calls a model.
 *
 * The built-in table is a convenience, not a contract: prices as of 2026-11 — verify with your provider and
 * override in config (`observe.prices`). Keys are `provider:model` or a bare `model`; a model id matches the
 * longest key it starts with, so `gpt-4o-mini-2024-07-18` is priced as `gpt-4o-mini`.
 */
export interface ModelPrice {
  /** USD per million input tokens (chat) or per million embedded tokens (embeddings). */
  readonly inputPerMillion?: number;
  /** USD per million output tokens (chat). */
  readonly outputPerMillion?: number;
  /** USD per search (rerank models). */
  readonly perSearch?: number;
}

export interface PriceTable {
  /** When the built-in prices were last checked; shown in cost reports. */
  readonly asOf: string;
  readonly note: string;
  readonly models: Readonly<Record<string, ModelPrice>>;
  /** OCR is local compute: an estimate of USD per page (CPU time at cloud prices). */
  readonly ocrPerPage: number;
}

export const builtInPrices: PriceTable = Object.freeze({
  asOf: '2026-11',
  note: 'prices as of 2026-11; verify with your provider and override in observe.prices',
  models: Object.freeze({
    'gpt-4o': { inputPerMillion: 2.5, outputPerMillion: 10 },
    'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 },
    'gpt-4.1': { inputPerMillion: 2, outputPerMillion: 8 },
    'gpt-4.1-mini': { inputPerMillion: 0.4, outputPerMillion: 1.6 },
    'gpt-4.1-nano': { inputPerMillion: 0.1, outputPerMillion: 0.4 },
    'gpt-5': { inputPerMillion: 1.25, outputPerMillion: 10 },
    'gpt-5-mini': { inputPerMillion: 0.25, outputPerMillion: 2 },
    'text-embedding-3-small': { inputPerMillion: 0.02 },
    'text-embedding-3-large': { inputPerMillion: 0.13 },
    'claude-sonnet-4': { inputPerMillion: 3, outputPerMillion: 15 },
    'claude-haiku-4': { inputPerMillion: 1, outputPerMillion: 5 },
    'claude-opus-4': { inputPerMillion: 15, outputPerMillion: 75 },
    'gemini-2.5-pro': { inputPerMillion: 1.25, outputPerMillion: 10 },
    'gemini-2.5-flash': { inputPerMillion: 0.3, outputPerMillion: 2.5 },
    'text-embedding-004': { inputPerMillion: 0.025 },
    'rerank-v3.5': { perSearch: 0.002 },
    // Test doubles and local models cost nothing.
    mock: { inputPerMillion: 0, outputPerMillion: 0, perSearch: 0 },
  }),
  ocrPerPage: 0.0005,
});

/** The built-in table with the configured overrides merged over it (an override replaces a whole entry). */
export function buildPriceTable(overrides: GroundworkConfig['observe']['prices'] | undefined): PriceTable {
  return {
    ...builtInPrices,
    models: { ...builtInPrices.models, ...(overrides?.models ?? {}) },
    ocrPerPage: overrides?.ocrPerPage ?? builtInPrices.ocrPerPage,
  };
}

/** The price entry for a model: exact `provider:model`, then exact `model`, then the longest matching prefix. */
export function priceFor(table: PriceTable, provider: string | undefined, model: string | undefined): ModelPrice | undefined {
  if (!model) return undefined;
  const bare = model.includes(':') && !provider ? model.slice(model.indexOf(':') + 1) : model;
  const qualified = provider ? `${provider}:${bare}` : model;
  const exact = table.models[qualified] ?? table.models[bare];
  if (exact) return exact;
  let best: { key: string; price: ModelPrice } | undefined;
  for (const [key, price] of Object.entries(table.models)) {
    const candidate = key.includes(':') ? (provider ? qualified : undefined) : bare;
    if (candidate?.startsWith(key) && (!best || key.length > best.key.length)) best = { key, price };
  }
  return best?.price;
}

export interface SpanUsage {
  readonly operation: string | undefined;
  readonly model: string | undefined;
  readonly provider: string | undefined;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Embedding tokens (operation `embeddings`); counted apart from chat input. */
  readonly embeddingTokens: number;
  readonly ocrPages: number;
  readonly costUsd: number;
  /** The model was called but has no price entry: the cost is unknown, reported as 0. */
  readonly unpriced: boolean;
}

const numberOf = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0);
const stringOf = (value: unknown): string | undefined => (typeof value === 'string' && value ? value : undefined);

/**
 * Usage and cost of one span. Only spans that call a model (`gen_ai.operation.name` set) carry tokens and
 * model cost, and OCR pages are priced only on `ocr` spans: parent spans (`answer`, `sync`) may repeat totals
 * as attributes, and counting those too would double the cost. A feature that knows its exact cost may set
 * `groundwork.cost.usd`, which wins.
 */
export function spanUsage(span: SpanRecord, table: PriceTable): SpanUsage {
  const attributes = span.attributes;
  const operation = stringOf(attributes['gen_ai.operation.name']);
  const model = stringOf(attributes['gen_ai.request.model']) ?? stringOf(attributes['gen_ai.response.model']);
  const provider = stringOf(attributes['gen_ai.provider.name']);
  const calls = operation !== undefined;
  const tokensIn = calls ? numberOf(attributes['gen_ai.usage.input_tokens']) : 0;
  const outputTokens = calls ? numberOf(attributes['gen_ai.usage.output_tokens']) : 0;
  const embeddings = operation === 'embeddings';
  const ocrPages = span.name === 'ocr' ? numberOf(attributes['groundwork.ocr.pages']) : 0;
  const price = calls ? priceFor(table, provider, model) : undefined;
  let cost = 0;
  if (price) {
    cost += (tokensIn * (price.inputPerMillion ?? 0)) / 1_000_000;
    cost += (outputTokens * (price.outputPerMillion ?? 0)) / 1_000_000;
    if (operation === 'rerank') cost += price.perSearch ?? 0;
  }
  cost += ocrPages * table.ocrPerPage;
  const explicit = attributes['groundwork.cost.usd'];
  if (typeof explicit === 'number' && Number.isFinite(explicit) && explicit >= 0) cost = explicit;
  return {
    operation,
    model,
    provider,
    inputTokens: embeddings ? 0 : tokensIn,
    outputTokens,
    embeddingTokens: embeddings ? tokensIn : 0,
    ocrPages,
    costUsd: cost,
    unpriced: calls && model !== undefined && price === undefined,
  };
}
