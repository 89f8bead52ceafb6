/**
 * claims/model.ts — the contract between the claims assessment (pure: classification, extraction, fraud
 * indicators, determination, routing; `src/claims/assess/`) and the claims workflow (store, import, review,
 * metrics, HTTP/CLI/UI; `src/claims/*.ts`). The assessment never touches the database: the workflow hands it
 * the claim, the parsed pages of the claim's documents, the history and a permission-aware policy-terms search,
 * and stores what it returns.
 */
import { z } from 'zod';

/** Where a value was read: the document, its 1-based page, and the passage (verbatim, short). */
export const claimCitationSchema = z.object({
  documentId: z.string(),
  page: z.number().int().min(1),
  passage: z.string(),
});
export type ClaimCitation = z.infer<typeof claimCitationSchema>;

export const claimDocumentTypes = [
  'fnol',
  'police_report',
  'repair_estimate',
  'medical_bill',
  'photo',
  'policy_declarations',
  'correspondence',
  'other',
] as const;
export type ClaimDocumentType = (typeof claimDocumentTypes)[number];

/** One parsed document of a claim, as the workflow hands it to the assessment. */
export interface ClaimDocumentInput {
  readonly documentId: string;
  readonly fileName: string;
  readonly mediaType: string;
  /** Parsed text per page (1-based `page`); images: OCR text and/or caption. */
  readonly pages: readonly { readonly page: number; readonly text: string }[];
  /** True when the text came from OCR (scans, photos). */
  readonly ocr: boolean;
  /** Image metadata when present (EXIF DateTimeOriginal as ISO, GPS, camera). */
  readonly exif?: Readonly<Record<string, string>>;
}

/** Classification of one document (first step). */
export interface ClassifiedDocument {
  readonly documentId: string;
  readonly type: ClaimDocumentType;
  /** 0..1 */
  readonly confidence: number;
  /** Why (the labels/patterns that decided it). */
  readonly reason: string;
}

/** One extracted field: `value` null ⇔ status `missing` (explicit, never silently absent). */
export interface ExtractedField {
  readonly value: unknown;
  readonly status: 'found' | 'missing' | 'conflict';
  readonly citation: ClaimCitation | null;
  /** Other citations that support (or, with status `conflict`, contradict) the value. */
  readonly alsoSeen?: readonly (ClaimCitation & { readonly value: unknown })[];
  /** `deterministic` (labels/patterns/tables), `model` (generateObject), `adjuster` (an edit in review). */
  readonly method: 'deterministic' | 'model' | 'adjuster';
  /** 0..1 */
  readonly confidence: number;
}

/**
 * Field names (at least these; the assessment may add more). Values: strings (ISO dates `YYYY-MM-DD`, times
 * `HH:MM`), numbers (amounts in the policy currency, hours), or arrays of objects:
 * parties `[{role, name, address?, phone?}]`, vehicles `[{year?, make?, model?, vin?, plate?}]`,
 * repairLineItems `[{part, labourHours, amount}]`, coverages `[{name, limit?, deductible?}]`, injuries `[string]`.
 */
export const claimFieldNames = [
  'claimNumber',
  'policyNumber',
  'parties',
  'vehicles',
  'lossDate',
  'lossTime',
  'lossLocation',
  'circumstances',
  'policeReportNumber',
  'injuries',
  'repairLineItems',
  'repairTotal',
  'medicalTotal',
  'coverages',
  'deductible',
  'policyEffectiveDate',
  'policyExpiryDate',
  'reportedDate',
] as const;
export type ClaimFieldName = (typeof claimFieldNames)[number];

export interface FraudIndicator {
  /** Stable reason code, e.g. `fraud.early_loss`, `fraud.late_report`, `fraud.prior_claims`, `fraud.amount_outlier`. */
  readonly code: string;
  /** Human sentence naming the facts. */
  readonly reason: string;
  /** Contribution to the score (weight × strength), 0..1. */
  readonly weight: number;
  /** The facts it rests on, each cited when it comes from a document. */
  readonly evidence: readonly { readonly fact: string; readonly citation?: ClaimCitation }[];
  /** The comparison data (peer mean/sd/n, history claim numbers, thresholds). */
  readonly comparison: Readonly<Record<string, unknown>>;
}

export interface FraudAssessment {
  /** 0..1, combined from the indicators with the configured weights. */
  readonly score: number;
  readonly indicators: readonly FraudIndicator[];
  readonly configVersion: number;
  /** Checks that could not run and why (too few peer claims for a z-score, a fact not extracted). */
  readonly notes?: readonly string[];
}

export const claimOutcomes = ['covered', 'not_covered', 'needs_information'] as const;
export type ClaimOutcome = (typeof claimOutcomes)[number];

export interface Determination {
  readonly outcome: ClaimOutcome;
  /** Calibrated 0..1. */
  readonly confidence: number;
  /** The policy terms it rests on, cited from policy documents the caller may read. */
  readonly terms: readonly ClaimCitation[];
  readonly deductible: number | null;
  readonly estimatedPayable: number | null;
  /** Why, in a few sentences. */
  readonly rationale: string;
  /** What is missing (field names / document types) when outcome is `needs_information`. */
  readonly missing: readonly string[];
}

export const claimTiers = ['fast_track', 'standard', 'senior_review', 'siu_referral'] as const;
export type ClaimTier = (typeof claimTiers)[number];

/** Versioned configuration (the workflow stores versions; the assessment only reads one). */
export interface ClaimsConfig {
  readonly version: number;
  readonly fraudWeights: Readonly<Record<string, number>>;
  readonly fraudThresholds: Readonly<Record<string, number>>;
  /** Routing: fast-track needs confidence ≥ fastTrackConfidence and fraud score < cleanFraudScore; senior below seniorBelowConfidence; SIU at siuFraudScore and up. */
  readonly routing: {
    readonly fastTrackConfidence: number;
    readonly cleanFraudScore: number;
    readonly seniorBelowConfidence: number;
    readonly siuFraudScore: number;
  };
}

/** One past claim (from Groundwork's own claims or the imported history table). */
export interface HistoryClaim {
  readonly claimNumber: string;
  readonly policyNumber: string;
  readonly lineOfBusiness: string;
  readonly lossDate: string;
  readonly region?: string;
  readonly damageType?: string;
  readonly amount?: number;
  readonly claimantName?: string;
  readonly vehicleVin?: string;
  readonly address?: string;
  /** Known outcome (`fraud_confirmed`, `legitimate`, …) when there is one. */
  readonly outcome?: string;
}

export interface ClaimRecordInput {
  readonly claimNumber: string;
  readonly policyNumber: string | null;
  readonly lineOfBusiness: string;
  readonly lossDate: string | null;
  readonly reportedDate: string | null;
  readonly region?: string;
  /** Policy facts when known outside the documents (policy admin system). */
  readonly policy?: {
    readonly effectiveDate?: string;
    readonly expiryDate?: string;
    readonly coverageIncreasedOn?: string;
    readonly cancellationNoticeOn?: string;
  };
}

export interface AssessClaimInput {
  readonly claim: ClaimRecordInput;
  readonly documents: readonly ClaimDocumentInput[];
  readonly history: readonly HistoryClaim[];
  readonly config: ClaimsConfig;
  /** Permission-aware search over the policy documents the caller may read (the workflow binds the caller). */
  readonly searchPolicyTerms: (query: string) => Promise<readonly ClaimCitation[]>;
  /** With a model: AI SDK structured extraction with this versioned prompt; without: deterministic only. */
  readonly extractionModel?: {
    readonly model: import('ai').LanguageModel;
    readonly prompt: { readonly name: string; readonly version: number; readonly text: string };
  };
  readonly now: Date;
}

export interface ClaimAssessment {
  readonly documents: readonly ClassifiedDocument[];
  readonly extracted: Readonly<Record<string, ExtractedField>>;
  readonly fraud: FraudAssessment;
  readonly determination: Determination;
  readonly tier: ClaimTier;
  /** Why this tier (which threshold decided). */
  readonly tierReason: string;
  /** Model usage when a model was used (for cost per claim). */
  readonly usage?: { readonly inputTokens: number; readonly outputTokens: number; readonly model: string };
}
