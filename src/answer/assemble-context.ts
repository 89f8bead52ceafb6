import { detectInjection } from '../protect/index.ts';
import type { SearchHit } from '../retrieve/index.ts';
import { perPassageOverheadTokens, untrustedPassageOverheadTokens } from './prompt.ts';
import { estimateTokens, shingleSimilarity } from './text.ts';
import type { Passage } from './types.ts';

/**
 * Context assembly: the passages that go into the prompt, within the token budget.
 *
 * Hits are taken most relevant first; the same chunk twice and near-duplicate text (word 3-shingle Jaccard
 * ≥ `nearDuplicate`, e.g. the same clause in two copies of a form) are kept once; a passage that does not fit
 * the remaining budget is skipped (a smaller, less relevant one may still fit) — except the most relevant one,
 * which is cut to fit. Citation numbers are assigned
 * in the final order, 1-based. Each passage carries its suspected prompt-injection spans (stored at ingest,
 * or detected here for chunks not scanned yet and for redacted text), and such a passage costs the extra
 * tokens of its untrusted-data wrapper.
 */

export interface AssembleOptions {
  /** Tokens available for passages (window − system prompt − question − reserved output − overhead). */
  readonly budgetTokens: number;
  /** Text to send per hit (the egress-redacted text); default the hit's text. */
  readonly textOf?: (hit: SearchHit) => string;
  /** Default 0.85. */
  readonly nearDuplicate?: number;
  /** At most this many passages. */
  readonly maxPassages?: number;
}

export interface AssembledContext {
  readonly passages: Passage[];
  readonly tokens: number;
  readonly duplicates: number;
  readonly overBudget: number;
  /** 1 when the most relevant passage was cut to fit the budget. */
  readonly truncated: number;
}

export function assembleContext(hits: readonly SearchHit[], options: AssembleOptions): AssembledContext {
  const threshold = options.nearDuplicate ?? 0.85;
  const textOf = options.textOf ?? ((hit: SearchHit) => hit.text);
  const ordered = [...hits].sort((a, b) => a.rank - b.rank);
  const passages: Passage[] = [];
  const seen = new Set<string>();
  let tokens = 0;
  let duplicates = 0;
  let overBudget = 0;
  let truncated = 0;
  for (const hit of ordered) {
    if (options.maxPassages !== undefined && passages.length >= options.maxPassages) break;
    if (seen.has(hit.chunkId)) {
      duplicates++;
      continue;
    }
    seen.add(hit.chunkId);
    const text = textOf(hit);
    if (passages.some((p) => shingleSimilarity(p.text, text) >= threshold)) {
      duplicates++;
      continue;
    }
    const injection = text === hit.text ? (hit.injection ?? detectInjection(text)) : detectInjection(text);
    const overhead = perPassageOverheadTokens + (injection.length > 0 ? untrustedPassageOverheadTokens : 0);
    const cost = estimateTokens(text) + estimateTokens(hit.title) + overhead;
    if (tokens + cost > options.budgetTokens) {
      // The most relevant passage is never dropped for size alone: it is cut to fit (at a sentence or word
      // boundary, so placeholders such as [EMAIL_1] stay whole) when at least 64 tokens of text remain.
      const room = options.budgetTokens - tokens - estimateTokens(hit.title) - overhead;
      if (passages.length === 0 && room >= 64) {
        const cut = cutText(text, room * 4);
        const cutCost = estimateTokens(cut) + estimateTokens(hit.title) + overhead;
        tokens += cutCost;
        truncated++;
        // The cut text is a prefix of `text` (plus " …"): the spans still point at the right places.
        passages.push({ n: 1, hit, text: cut, tokens: cutCost, injection });
        continue;
      }
      overBudget++;
      continue;
    }
    tokens += cost;
    passages.push({ n: passages.length + 1, hit, text, tokens: cost, injection });
  }
  return { passages, tokens, duplicates, overBudget, truncated };
}

/** A passage's suspected prompt-injection spans (offsets into its `text`), detected now when not known. */
export function injectionOf(passage: Passage): NonNullable<Passage['injection']> {
  return passage.injection ?? detectInjection(passage.text);
}

/** The longest prefix of `text` within `maxChars` ending at a sentence end, else at a space, marked with …. */
function cutText(text: string, maxChars: number): string {
  const head = text.slice(0, Math.max(0, maxChars - 2));
  const sentenceEnd = Math.max(head.lastIndexOf('. '), head.lastIndexOf('.\n'));
  const end = sentenceEnd > maxChars / 2 ? sentenceEnd + 1 : head.lastIndexOf(' ') > 0 ? head.lastIndexOf(' ') : head.length;
  return `${text.slice(0, end).trimEnd()} …`;
}

/** Passage budget for a model: window − system − question − reserved output − fixed overhead (never < 0). */
export function passageBudget(input: {
  contextWindow: number;
  systemPrompt: string;
  question: string;
  maxOutputTokens: number;
  overhead: number;
}): number {
  return Math.max(
    0,
    input.contextWindow -
      estimateTokens(input.systemPrompt) -
      estimateTokens(input.question) -
      input.maxOutputTokens -
      input.overhead,
  );
}
