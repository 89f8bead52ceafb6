/**
 * The model path of extraction: AI SDK structured output (`generateText` with `Output.object`, the
 * successor of `generateObject`) per document, with the versioned extraction prompt. A model value is kept
 * only when it can be found in the document's page text (then it is cited there); otherwise the
 * deterministic value stands (never an uncited model value).
 */
import { generateText, type LanguageModel, NoObjectGeneratedError, Output } from 'ai';
import type { ClaimDocumentInput } from '../model.ts';
import { type DocumentExtraction, documentSchemas, type ExtractableType, type Found } from './extract.ts';
import { citationOf, type Line, linesOf, normalizeName, normalizeVin, parseDate, parseMoney, parseTime } from './text.ts';

/** The default extraction prompt (the workflow registers it under prompt versioning as `claims-extraction`). */
export const defaultExtractionPrompt = {
  name: 'claims-extraction',
  version: 1,
  text: `You extract facts from one insurance claim document (type given below) into the JSON schema provided.
Rules: copy values exactly as the document states them; dates as YYYY-MM-DD, times as HH:MM (24 h), amounts as
numbers without currency symbols. Use null for anything the document does not state — never guess, never infer
from other documents. Repair line items: one object per row of the estimate table (part, labour hours, amount).
Coverages: one object per row of the declarations' coverage table (name, limit, deductible or null).`,
} as const;

export interface ModelUsage {
  inputTokens: number;
  outputTokens: number;
}

/** Finds the line that states `value` (dates, times, amounts and VINs compared as values, text by words). */
export function locateValue(lines: readonly Line[], key: string, value: unknown): Line | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value === 'number') {
    return (
      lines.find((line) =>
        (line.text.match(/\$?\s?\d[\d,]*(?:\.\d+)?/g) ?? []).some(
          (token) => parseMoney(token) === value || Number(token.replace(/[$,\s]/g, '')) === value,
        ),
      ) ?? null
    );
  }
  if (typeof value === 'string') {
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return lines.find((line) => parseDate(line.text) === value) ?? null;
    if (/^\d{1,2}:\d{2}$/.test(value) && /time/i.test(key)) return lines.find((line) => parseTime(line.text) === value) ?? null;
    if (key === 'vin') return lines.find((line) => normalizeVin(line.text) === normalizeVin(value)) ?? null;
    const wanted = normalizeName(value.replace(/\.$/, ''));
    return wanted ? (lines.find((line) => normalizeName(line.text).includes(wanted)) ?? null) : null;
  }
  if (Array.isArray(value)) {
    // Every element must be found; the citation is the first element's line.
    let first: Line | null = null;
    for (const element of value) {
      const parts =
        typeof element === 'object' && element !== null ? Object.values(element as Record<string, unknown>) : [element];
      const anchor = parts.find((part) => typeof part === 'string' && part) ?? parts[0];
      const line = locateValue(lines, key, anchor);
      if (!line) return null;
      for (const part of parts) {
        if (typeof part === 'number' && !locateValue([line], key, part)) return null;
      }
      first ??= line;
    }
    return first ?? lines[0] ?? null;
  }
  return null;
}

/**
 * Model extraction of one document, checked against its text. Returns the merged record (model values that
 * were found in the text, deterministic values otherwise) and the tokens used.
 */
export async function modelExtractDocument(
  document: ClaimDocumentInput,
  type: ExtractableType,
  deterministic: DocumentExtraction,
  model: { model: LanguageModel; prompt: { name: string; version: number; text: string } },
): Promise<{ extraction: DocumentExtraction; usage: ModelUsage; rejected: string[] }> {
  const pages = document.pages.map((page) => `--- page ${page.page} ---\n${page.text}`).join('\n');
  let output: Record<string, unknown>;
  let usage: ModelUsage;
  try {
    const result = await generateText({
      model: model.model,
      system: model.prompt.text,
      prompt: `Document type: ${type}\nFile: ${document.fileName}\n\n${pages}`,
      output: Output.object({ schema: documentSchemas[type] }),
      temperature: 0,
    });
    output = (result.output ?? {}) as Record<string, unknown>;
    usage = { inputTokens: result.usage.inputTokens ?? 0, outputTokens: result.usage.outputTokens ?? 0 };
  } catch (error) {
    // No valid object (or the call failed): the deterministic reading stands. Other errors are real.
    if (!NoObjectGeneratedError.isInstance(error)) throw error;
    const used = error.usage;
    return {
      extraction: deterministic,
      usage: { inputTokens: used?.inputTokens ?? 0, outputTokens: used?.outputTokens ?? 0 },
      rejected: ['(model output invalid)'],
    };
  }
  const lines = linesOf(document);
  const values: Record<string, Found> = { ...deterministic.values };
  const rejected: string[] = [];
  for (const [key, value] of Object.entries(output)) {
    if (value === null || value === undefined) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    const line = locateValue(lines, key, value);
    if (!line) {
      rejected.push(key);
      continue;
    }
    values[key] = {
      value: key === 'vin' ? normalizeVin(String(value)) : value,
      citation: citationOf(document, line),
      method: 'model',
      confidence: document.ocr ? 0.88 : 0.95,
    };
  }
  return { extraction: { ...deterministic, values }, usage, rejected };
}
