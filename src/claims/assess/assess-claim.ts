/**
 * `assessClaim`: the whole pure pipeline — classify every document, extract per document type (the model
 * path when a model is given, always checked against the text), merge into claim fields with citations,
 * conflicts and explicit missing fields, fraud indicators against history, the preliminary determination
 * with a calibrated confidence, and the tier.
 */
import type { AssessClaimInput, ClaimAssessment } from '../model.ts';
import { classifyDocument } from './classify.ts';
import { determine } from './determine.ts';
import { type DocumentExtraction, type ExtractableType, extractableTypes, extractDocument, mergeClaimFields } from './extract.ts';
import { assessFraud } from './fraud.ts';
import { modelExtractDocument } from './model-extract.ts';
import { routeClaim } from './route.ts';

export interface AssessmentDetail {
  /** Model values that could not be found in the document text and were dropped, per document. */
  readonly rejectedModelValues?: Readonly<Record<string, readonly string[]>>;
  /** The determination's uncalibrated score and its features (for calibration). */
  readonly rawConfidence: number;
}

export async function assessClaim(input: AssessClaimInput): Promise<ClaimAssessment & { detail: AssessmentDetail }> {
  const documents = input.documents.map((document) => classifyDocument(document));
  const extractions: DocumentExtraction[] = [];
  let inputTokens = 0;
  let outputTokens = 0;
  const rejectedModelValues: Record<string, string[]> = {};
  for (const [index, document] of input.documents.entries()) {
    const type = (documents[index] as (typeof documents)[number]).type;
    const deterministic = extractDocument(document, type);
    const modelable = input.extractionModel && type !== 'photo' && extractableTypes.includes(type as ExtractableType);
    if (modelable && input.extractionModel && document.pages.some((page) => /\S/.test(page.text))) {
      const result = await modelExtractDocument(document, type as ExtractableType, deterministic, input.extractionModel);
      inputTokens += result.usage.inputTokens;
      outputTokens += result.usage.outputTokens;
      if (result.rejected.length > 0) rejectedModelValues[document.documentId] = result.rejected;
      extractions.push(result.extraction);
    } else extractions.push(deterministic);
  }
  const extracted = mergeClaimFields(extractions);
  const fraud = assessFraud({ claim: input.claim, fields: extracted, history: input.history, config: input.config });
  const result = await determine({ fields: extracted, documents, searchPolicyTerms: input.searchPolicyTerms });
  const unreadable = documents.filter((document) => document.confidence <= 0.3 && /no readable text/.test(document.reason));
  const { features: _features, rawConfidence, ...determination } = result;
  const withUnreadable =
    unreadable.length > 0
      ? {
          ...determination,
          rationale: `${determination.rationale} Unreadable: ${unreadable
            .map(
              (document) =>
                input.documents.find((item) => item.documentId === document.documentId)?.fileName ?? document.documentId,
            )
            .join(', ')}.`,
        }
      : determination;
  const route = routeClaim({
    fraudScore: fraud.score,
    confidence: determination.confidence,
    outcome: determination.outcome,
    config: input.config,
  });
  return {
    documents,
    extracted,
    fraud,
    determination: withUnreadable,
    tier: route.tier,
    tierReason: route.tierReason,
    ...(input.extractionModel ? { usage: { inputTokens, outputTokens, model: modelName(input.extractionModel.model) } } : {}),
    detail: { rawConfidence, ...(Object.keys(rejectedModelValues).length > 0 ? { rejectedModelValues } : {}) },
  };
}

function modelName(model: import('ai').LanguageModel): string {
  return typeof model === 'string' ? model : `${model.provider}:${model.modelId}`;
}
