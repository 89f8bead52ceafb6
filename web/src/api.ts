/**
 * The web UI's only way to the server: the HTTP API under /v1 with a bearer token kept in sessionStorage
 * (gone when the tab closes). DTO types are duplicated from the server on purpose: web never imports src/.
 */

const tokenKey = 'groundwork.token';

export function getToken(): string | null {
  return sessionStorage.getItem(tokenKey);
}
export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(tokenKey, token);
  else sessionStorage.removeItem(tokenKey);
}

/** The API's error body: `{ error: { code, message, fix?, requestId } }`. */
export class ApiError extends Error {
  readonly code: string;
  readonly fix: string | undefined;
  readonly status: number;
  constructor(status: number, code: string, message: string, fix?: string) {
    super(message);
    this.status = status;
    this.code = code;
    this.fix = fix;
  }
}

interface ErrorBody {
  error?: { code?: string; message?: string; fix?: string };
}

function toApiError(status: number, body: unknown): ApiError {
  const error = (body as ErrorBody | null)?.error;
  return new ApiError(status, error?.code ?? `http.${status}`, error?.message ?? `The server answered ${status}.`, error?.fix);
}

function headers(extra: Record<string, string> = {}): Record<string, string> {
  const token = getToken();
  return { ...(token ? { authorization: `Bearer ${token}` } : {}), ...extra };
}

/** A JSON request; throws ApiError with the server's message and fix. */
export async function api<T>(path: string, init: { method?: string; body?: unknown; token?: string } = {}): Promise<T> {
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? 'GET',
      headers: {
        ...headers(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    });
  } catch {
    throw new ApiError(0, 'network', 'The Groundwork server could not be reached.', 'Check that `groundwork serve` is running.');
  }
  const text = await response.text();
  const body: unknown = text ? JSON.parse(text) : null;
  if (!response.ok) throw toApiError(response.status, body);
  return body as T;
}

export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== undefined && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

export interface Me {
  id: string;
  role: 'viewer' | 'user' | 'reviewer' | 'builder' | 'admin';
  principals: string[];
  scopes: string[];
}

export interface Citation {
  n: number;
  chunkId: string;
  documentId: string;
  title: string;
  uri: string;
  page: number | null;
  snippet: string;
}

/** A source of the answer the reader should know about (suspected prompt injection). */
export interface AnswerWarning {
  code: 'answer.injection_suspected';
  documentId: string;
  message: string;
}

export interface Answer {
  answer: string;
  citations: Citation[];
  /** Absent from servers older than warnings. */
  warnings?: AnswerWarning[];
  confidence: number;
  refused: boolean;
  refusalReason?: string;
  mode: 'generative' | 'extractive';
  label: string;
  traceId: string;
  useCase: string;
  model?: string;
  promptVersion: string;
  tookMs: number;
}

/**
 * Streams an answer (Server-Sent Events over a POST, which EventSource cannot do): `onToken` per `token`
 * event, resolves with the `final` answer, rejects with the `error` event's ApiError.
 */
export async function streamAnswer(
  body: { question: string; useCase?: string },
  onToken: (text: string) => void,
  signal: AbortSignal,
): Promise<Answer> {
  const response = await fetch('/v1/answers', {
    method: 'POST',
    headers: headers({ 'content-type': 'application/json', accept: 'text/event-stream' }),
    body: JSON.stringify({ ...body, stream: true }),
    signal,
  });
  if (!response.ok || !response.body) {
    const text = await response.text();
    throw toApiError(response.status, text ? JSON.parse(text) : null);
  }
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let boundary = buffer.indexOf('\n\n');
    while (boundary >= 0) {
      const raw = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      boundary = buffer.indexOf('\n\n');
      let event = 'message';
      const data: string[] = [];
      for (const line of raw.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      const payload: unknown = data.length ? JSON.parse(data.join('\n')) : null;
      if (event === 'token') onToken((payload as { text: string }).text);
      else if (event === 'final') return payload as Answer;
      else if (event === 'error') throw toApiError(500, payload);
    }
  }
  throw new ApiError(0, 'stream.ended', 'The answer stream ended without an answer.', 'Ask again.');
}

export interface UseCase {
  name: string;
  description?: string;
}

/** A background job (GET /v1/jobs); `dead`: retries spent, waiting in the dead letters. */
export interface JobSummary {
  id: string;
  name: string;
  state: 'created' | 'retry' | 'active' | 'completed' | 'cancelled' | 'failed' | 'dead';
  data: unknown;
  output: unknown;
  retryCount: number;
  retryLimit: number;
  createdOn: string;
  startedOn: string | null;
  completedOn: string | null;
  failedJobId: string | null;
}

export interface SourceStatus {
  id: string;
  name: string;
  type: string;
  path?: string;
  documents: number;
  chunks: number;
  lastSuccessAt: string | null;
  lastSyncAt: string | null;
  updateLagSeconds: { worst: number | null; median: number | null };
  documentsByStatus: Record<string, number>;
  failures: {
    failedRuns: number;
    interruptedRuns: number;
    lastError: string | null;
    /** e.g. `ingest.source_auth_failed`, `ingest.source_unreachable`, `ingest.source_throttled`. */
    lastErrorCode?: string | null;
    /** The last finished run failed. */
    failing?: boolean;
  };
  quarantine: { total: number; byCode: Record<string, number> };
  undeterminedPrincipals: number;
  /** Documents no principal may read: no API key (admin keys included) finds them. */
  unreadableDocuments: number;
  /** ACL rules that matched files in the last sync but decided none. */
  aclWarnings: { code: string; ruleIndex: number; matched: number; message: string }[];
  /** The ACL map file differs from the approved copy (the approved copy is in force). */
  aclMapDrift?: { path?: string; message: string } | null;
  /** Indexed documents with OCRed pages read with low confidence (or not at all), and those pages: to review. */
  ocrReview: { documents: number; pages: number };
  sensitivity: Record<string, number>;
  /** Chunks with instruction-like text (suspected prompt injection), their documents, chunks not scanned yet. */
  injectionSuspected?: { chunks: number; documents: number; unscanned: number };
  lastRun: Record<string, unknown> | null;
  running: Record<string, unknown> | null;
}

export interface QuarantineEntry {
  id: string;
  sourceId: string;
  sourceName: string;
  /** The file's path inside its source. */
  sourceRef: string;
  code: string;
  /** What went wrong and what to do about it. */
  message: string;
  attempts: number;
  firstSeenAt: string;
  lastSeenAt: string;
  /** null = marked for retry at the next sync. */
  version: string | null;
}

export interface TraceSummary {
  id: string;
  operation: string;
  name: string;
  callerId: string | null;
  useCase: string | null;
  promptVersion: string | null;
  model: string | null;
  provider: string | null;
  startedAt: string;
  durationMs: number;
  status: 'ok' | 'error';
  outcome: string;
  errorCode: string | null;
  inputTokens: number;
  outputTokens: number;
  embeddingTokens: number;
  costUsd: number;
  confidence: number | null;
}

export interface ChunkView {
  chunkId: string;
  documentId: string;
  score?: number;
  n?: number;
  title: string;
  snippet?: string;
  restricted: boolean;
}

export interface SpanView {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  durationMs: number;
  offsetMs: number;
  status: 'ok' | 'error';
  errorCode: string | null;
  errorMessage: string | null;
  model: string | null;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
  attributes: Record<string, unknown>;
  retrieved?: ChunkView[];
  citations?: ChunkView[];
}

export interface TraceDetail extends TraceSummary {
  question: string | null;
  answer: string | null;
  answerWithheld?: 'retention' | 'restricted';
  attributes: Record<string, unknown>;
  spans: SpanView[];
}

export interface SearchHit {
  chunkId?: string;
  documentId?: string;
  title?: string;
  uri?: string;
  page?: number | null;
  score?: number;
  text?: string;
  snippet?: string;
  highlights?: string[];
  [key: string]: unknown;
}

/** One approval or rejection of a change request. */
export interface ChangeDecision {
  actor: string;
  at: string;
  comment: string | null;
}

/** A change request (GET /v1/changes): a governed change waiting for, or past, four-eyes approval. */
export interface ChangeRequest {
  id: string;
  kind: string;
  target: string;
  summary: string;
  useCases: string[];
  before: unknown;
  after: unknown;
  contentHash: string;
  author: string;
  reason: string | null;
  evalRunId: string | null;
  status: 'pending' | 'approved' | 'rejected' | 'withdrawn' | 'expired' | 'applied';
  emergency: boolean;
  awaitingRetrospective: boolean;
  requiredApprovals: number;
  eligibleApprovers: string[];
  approvals: ChangeDecision[];
  rejections: ChangeDecision[];
  staleReason: string | null;
  createdAt: string;
  expiresAt: string;
  decidedAt: string | null;
  appliedAt: string | null;
}

export type IncidentSeverity = 'sev1' | 'sev2' | 'sev3' | 'sev4';
export type IncidentStatus = 'open' | 'triaged' | 'mitigated' | 'resolved';

export interface IncidentLink {
  kind: 'trace' | 'feedback' | 'change';
  ref: string;
  addedBy: string;
  addedAt: string;
  /** Trace links: null when the reader may not see the trace now; never its content. */
  trace?: { operation: string; useCase: string | null; startedAt: string; outcome: string; documentsRestricted: boolean } | null;
}

export interface IncidentEvent {
  seq: number;
  at: string;
  actor: string;
  kind: string;
  note: string | null;
  data: Record<string, unknown>;
}

export interface Incident {
  id: string;
  title: string;
  severity: IncidentSeverity;
  status: IncidentStatus;
  useCase: string | null;
  description: string;
  openedBy: string;
  openedAt: string;
  updatedAt: string;
  resolvedAt: string | null;
  resolvedBy: string | null;
  postIncidentNote: string | null;
  links: IncidentLink[];
  timeline?: IncidentEvent[];
}

/** A use case with its ownership (GET /v1/use-cases). */
export interface UseCaseDetail {
  name: string;
  description: string;
  promptRef?: string;
  model?: string;
  owner?: string;
  approvers?: string[];
  onCall?: string;
  status?: 'draft' | 'pilot' | 'limited' | 'general' | 'retired';
  principals: string[];
  sources: string[];
  updatedAt: string;
}

export interface ChangeLogEntry {
  at: string;
  area: string;
  action: string;
  target: string;
  summary: string;
  author: string;
  approvers: string[];
  changeRequest: ChangeRequest | null;
  evalDelta: {
    dataset: string;
    baselineRunId: string;
    candidateRunId: string;
    regressed: boolean;
    metrics: Array<{ metric: string; baseline: number; candidate: number; difference: number; significance: string }>;
  } | null;
  incidents: string[];
  emergency?: boolean;
  awaitingRetrospective?: boolean;
}

export interface UseCaseChangeLog {
  useCase: string;
  prompt: string | null;
  entries: ChangeLogEntry[];
  incidents: Incident[];
}

/** A cohort (GET /v1/cohorts): a named set of principals. */
export interface CohortView {
  name: string;
  principals: string[];
  description: string | null;
}

/** One first-exposure cohort of the usage report; rates 0–1, null when no window has elapsed. */
export interface UsageCohortRow {
  cohort: string;
  period: 'week' | 'month';
  users: number;
  active30: number | null;
  active60: number | null;
  active90: number | null;
  partial: { active30: boolean; active60: boolean; active90: boolean };
  timeToValue: { medianHours: number | null; p90Hours: number | null };
}

/** GET /v1/usage (docs/adoption.md). */
export interface UsageReportView {
  useCase: string;
  cohort: string | null;
  period: 'week' | 'month';
  asOf: string;
  includesSimulated: boolean;
  users: number;
  answers: number;
  activeUsers: { daily: number; weekly: number; monthly: number };
  cohorts: UsageCohortRow[];
  timeToValue: {
    medianHours: number | null;
    p90Hours: number | null;
    users: number;
    histogram?: Array<{ bucket: string; fromHours: number | null; toHours: number | null; users: number }>;
  };
  taskCompletionRate: number | null;
  refusalRate: number | null;
  feedbackRate: number | null;
  overrideRate: number | null;
  dailyActive: Array<{ day: string; users: number }>;
}

/** The human review queue (GET /v1/reviews…, docs/review.md). */
export type ReviewVerdict = 'correct' | 'partially' | 'wrong';
export const reviewVerdicts: ReviewVerdict[] = ['correct', 'partially', 'wrong'];

export interface ReviewItem {
  id: string;
  traceId: string;
  useCase: string;
  stratum: 'negative-feedback' | 'low-confidence' | 'refused' | 'base';
  confidence: number | null;
  refused: boolean;
  status: 'pending' | 'graded';
  claimedBy: string | null;
  leaseUntil: string | null;
  ownAnswer: boolean;
  verdict: ReviewVerdict | null;
  grounded: boolean | null;
  overridden: boolean | null;
  gradedBy: string | null;
  gradedAt: string | null;
  candidateId: string | null;
  sampledAt: string;
}

/** A cited passage the reviewer may read now (the others are only counted in `withheldPassages`). */
export interface ReviewPassage {
  n: number | null;
  chunkId: string;
  documentId: string;
  title: string;
  text: string;
}

export interface ReviewDetail extends ReviewItem {
  question: string | null;
  answer: string | null;
  answerWithheld?: 'restricted' | 'retention' | 'missing';
  passages: ReviewPassage[];
  withheldPassages: number;
  correctedAnswer: string | null;
  reason: string | null;
  candidate?: { id: string };
}
/** Feedback users can see (GET /v1/feedback/mine, /v1/feedback?inbox=true). */
export type FeedbackStatus = 'open' | 'planned' | 'fixed' | 'wont_fix';
export const feedbackStatuses: readonly FeedbackStatus[] = ['open', 'planned', 'fixed', 'wont_fix'];

export interface FeedbackItem {
  id: string;
  traceId: string;
  callerId: string;
  rating: 1 | -1;
  category: string | null;
  comment: string | null;
  commentWithheld?: string;
  createdAt: string;
  useCase: string | null;
  status: FeedbackStatus;
  statusNote: string | null;
  statusBy: string | null;
  statusAt: string | null;
  question: string | null;
  answer: string | null;
  answerWithheld?: string;
  history: Array<{ id: string; from: FeedbackStatus; to: FeedbackStatus; note: string | null; actor: string; at: string }>;
}

/** A change of your feedback to fixed / won't fix that you have not marked seen (GET /v1/notices). */
export interface FeedbackNotice {
  id: string;
  feedbackId: string;
  traceId: string;
  useCase: string | null;
  status: 'fixed' | 'wont_fix';
  note: string | null;
  by: string;
  at: string;
}

/** GET /v1/use-cases/:name/card */
export interface CapabilityCard {
  useCase: string;
  description: string;
  owner: string | null;
  canDo: string[];
  cannotDo: string[];
  verifyWhen: string[];
  sources: string[];
  derived: boolean;
  seen: boolean;
  seenAt: string | null;
}

/** GET /v1/use-cases/:name/release-notes */
export interface ReleaseNotes {
  useCase: string;
  entries: Array<{ at: string; kind: string; title: string; details?: string }>;
}

export const statusLabel = (status: string) => (status === 'wont_fix' ? "won't fix" : status);
export interface MonitorView {
  id: string;
  name: string;
  kind: string;
  useCase: string | null;
  source: string | null;
  threshold: string;
  window: string;
  lastValue: number | null;
  lastState: string | null;
  lastEvaluatedAt: string | null;
  origin: 'api' | 'config';
  enabled: boolean;
  webhook: { url: string; format: string; secretSet: boolean; status: string | null; error: string | null } | null;
}

export interface MonitorDetailView extends MonitorView {
  evaluations: Array<{ at: string; value: number | null; reference: number | null; state: string; sample: number }>;
  openAlertId: string | null;
}

export interface AlertView {
  id: string;
  monitor: string;
  kind: string;
  useCase: string | null;
  source: string | null;
  status: 'firing' | 'acknowledged' | 'resolved';
  value: number | null;
  reference: number | null;
  threshold: string;
  window: string;
  firedAt: string;
  resolution: 'auto' | 'manual' | null;
  incidentId: string | null;
  exampleTraces: Array<{ id: string; outcome: string; startedAt: string }>;
  withheldExampleTraces: number;
}

export interface PipelineView {
  at: string;
  sources: Array<{
    name: string;
    documents: number;
    chunks: number;
    lastSuccessAt: string | null;
    updateLagSeconds: { worst: number | null; median: number | null };
    failures: { failedRuns: number; interruptedRuns: number; lastError: string | null };
    quarantined: number;
    freshness: { slo: string | null; ageSeconds: number | null; status: 'ok' | 'breached' | 'unknown' };
    history: Array<{ at: string; status: string; files: number | null; deleted: number; quarantined: number }>;
    monitors: MonitorDetailView[];
    openAlerts: AlertView[];
  }>;
  useCases: Array<{
    useCase: string | null;
    monitors: MonitorDetailView[];
    openAlerts: AlertView[];
    /** Only for use cases the viewer reviews (else null). */
    reviewQueue: ReviewQueueView | null;
  }>;
}

/** One use case's review queue on the pipeline dashboard (counts only). */
export interface ReviewQueueView {
  useCase: string;
  pending: number;
  unclaimed: number;
  claimed: number;
  graded24h: number;
  graded7d: number;
  wrongShare7d: number | null;
  oldestPendingAt: string | null;
  oldestPendingAgeSeconds: number | null;
}

/** GET /v1/use-cases/:name/criteria (docs/adoption.md, "Success criteria"). */
export interface CriterionView {
  id: string;
  useCase: string;
  metric: string;
  source: 'usage' | 'eval' | 'manual';
  unit: string | null;
  baseline: number | null;
  target: number;
  direction: 'up' | 'down';
  owner: string | null;
  cadence: 'daily' | 'weekly' | 'monthly';
  due: string | null;
  description: string | null;
  status: 'on_track' | 'at_risk' | 'missed' | 'no_data';
  reason: string;
  latest: number | null;
  missedPeriodsInARow: number;
  points: Array<{ period: string; day: string; value: number; met: boolean; complete: boolean }>;
}

export interface CriteriaReportView {
  useCase: string;
  asOf: string;
  includesSimulated: boolean;
  criteria: CriterionView[];
  allOnTrack: boolean;
}

/** GET /v1/use-cases/:name/health (docs/adoption.md, "Program health"). */
export interface HealthFlagView {
  code: string;
  title: string;
  data: Record<string, unknown>;
  action: 'interview' | 'fix' | 'pivot' | 'stop';
  suggestion: string;
}

export interface ReviewView {
  id: string;
  useCase: string;
  decision: 'continue' | 'fix' | 'pivot' | 'stop';
  notes: string;
  flags: Array<{ code: string; title: string }>;
  reviewer: string;
  createdAt: string;
}

export interface HealthView {
  useCase: string;
  asOf: string;
  includesSimulated: boolean;
  liveSince: string | null;
  liveDays: number;
  users: number;
  activeLast30: number;
  activePrevious30: number;
  activeShare: number | null;
  flags: HealthFlagView[];
  latestReview: ReviewView | null;
}

// Claims workflow (src/claims, docs/claims.md).
export const claimTiers = ['fast_track', 'standard', 'senior_review', 'siu_referral'] as const;
export type ClaimTier = (typeof claimTiers)[number];
export const claimOutcomes = ['covered', 'not_covered', 'needs_information'] as const;
export const claimOverrideReasons = [
  'coverage_misread',
  'policy_exception',
  'missing_document',
  'liability_dispute',
  'amount_adjusted',
  'fraud_suspected',
  'fraud_cleared',
  'duplicate_claim',
  'other',
] as const;
export interface ClaimCitation {
  documentId: string;
  page: number;
  passage: string;
}
export interface ClaimItem {
  id: string;
  claimNumber: string;
  policyNumber: string | null;
  lineOfBusiness: string;
  lossDate: string | null;
  reportedDate: string | null;
  region: string | null;
  status: string;
  assignedAdjuster: string | null;
  tier: ClaimTier | null;
  outcome: string | null;
  missing: string[];
  createdAt: string;
  assignedAt: string | null;
  determinedAt: string | null;
  decidedAt: string | null;
}
export interface ClaimField {
  value: unknown;
  status: 'found' | 'missing' | 'conflict';
  citation: ClaimCitation | null;
  method: string;
  confidence: number;
  withheld?: boolean;
}
export interface ClaimSummary extends ClaimItem {
  tierReason: string | null;
  documents: {
    documentId: string | null;
    fileName: string;
    status: string;
    errorCode: string | null;
    errorMessage: string | null;
    type: string | null;
  }[];
  assessment: {
    id: string;
    version: number;
    configVersion: number;
    createdAt: string;
    costUsd: number;
    traceId: string | null;
  } | null;
  extracted: Record<string, ClaimField>;
  fraud: {
    score: number;
    indicators: {
      code: string;
      reason: string;
      weight: number;
      evidence: { fact: string; citation?: ClaimCitation }[];
      comparison: Record<string, unknown>;
    }[];
  } | null;
  determination: {
    outcome: string;
    confidence: number;
    terms: ClaimCitation[];
    deductible: number | null;
    estimatedPayable: number | null;
    rationale: string;
    missing: string[];
  } | null;
  reviews: {
    id: string;
    action: string;
    outcome: string;
    reasonCode: string | null;
    comment: string | null;
    reviewer: string;
    unchanged: boolean;
    candidateId: string | null;
    edits: { field: string; before: unknown; after: unknown }[];
    createdAt: string;
  }[];
  siuOutcome: { outcome: string; recordedBy: string } | null;
  withheld: number;
  /** Notes (action create_claim_note) and manual tier changes (action set_claim_tier, approved by a second person). */
  notes?: { id: string; note: string; author: string; createdAt: string }[];
  tierChanges?: {
    id: string;
    before: string | null;
    after: string;
    reason: string;
    actor: string;
    approvedBy: string | null;
    createdAt: string;
  }[];
  mayDecide: boolean;
}
export interface ClaimDocumentPages {
  documentId: string;
  fileName: string;
  mediaType: string;
  ocr: boolean;
  pages: { page: number; text: string }[];
}
export interface ClaimsMetrics {
  claims: number;
  processed: number;
  decided: number;
  byTier: Record<string, number>;
  byStatus: Record<string, number>;
  timeToDetermination: { n: number; p50Hours: number | null; p90Hours: number | null };
  timeToDecision: { n: number; p50Hours: number | null; p90Hours: number | null };
  straightThroughRate: number | null;
  overrideRate: number | null;
  editRate: number | null;
  overrideRateWeekly: { week: string; decisions: number; overrides: number; edits: number; rate: number }[];
  fraud: { flagged: number; withOutcome: number; precision: number | null; falsePositiveRate: number | null };
  fieldAccuracy: { fields: number; edited: number; accuracy: number | null };
  cost: { totalUsd: number; perClaimUsd: number | null; inputTokens: number; outputTokens: number; ocrPages: number };
}

/** One setting of a connector, as `GET /v1/connectors` describes it (the add-source form is built from these). */
export interface ConnectorSettingHint {
  key: string;
  label: string;
  description: string;
  kind: 'string' | 'number' | 'boolean' | 'list' | 'env' | 'path' | 'url';
  required: boolean;
  example?: string;
}

export interface ConnectorDescription {
  kind: string;
  title: string;
  description: string;
  settingsSchema: Record<string, unknown>;
  settingHints: ConnectorSettingHint[];
  capabilities: Record<string, boolean>;
}
