/**
 * answer/ — cited answers: use cases, context assembly within the token budget, generation through any
 * AI SDK model (streamed), extractive answers without a model, citations, confidence and refusal, and the
 * egress policy (blocked passages dropped, PII redacted) applied before any provider call.
 */
export {
  type Answerer,
  type AnswererDeps,
  type AnswerTarget,
  createAnswerer,
  defaultRefusalThreshold,
  type EffectiveUseCase,
  questionHash,
} from './answerer.ts';
export { type AssembledContext, assembleContext, injectionOf, passageBudget } from './assemble-context.ts';
export {
  cleanCitations,
  createCitationStream,
  type ParsedCitations,
  renumberCitations,
  resolveCitations,
} from './citations.ts';
export {
  checkGroundedness,
  combineConfidence,
  injectionWarnings,
  isModelRefusal,
  retrievalEvidence,
  untrustedEvidence,
} from './confidence.ts';
export { answerErrorCodes } from './error-codes.ts';
export { profileQuestion, type QuestionProfile } from './evidence.ts';
export { extractiveAnswer, extractiveLabel, scoreSentences } from './extractive.ts';
export { buildSystemPrompt, buildUserPrompt, noDocumentsText, promptVersion, refusalText } from './prompt.ts';
export { searchFiltersOfUseCase } from './search-filters.ts';
export type {
  Answer,
  AnswerEvent,
  AnswerMode,
  AnswerRequest,
  AnswerStyle,
  AnswerUsage,
  AnswerWarning,
  Citation,
  ConfidenceParts,
  Passage,
  UseCase,
  UseCaseCard,
  UseCaseRetrieval,
  UseCaseStatus,
  VersionPin,
} from './types.ts';
export { answerStyles, useCaseStatuses } from './types.ts';
export { usableUseCaseNames } from './use-case-access.ts';
export { type CapabilityCard, derivedCard, markCardSeen, useCaseCard } from './use-case-card.ts';
export {
  assertMayUseUseCase,
  createUseCaseStore,
  deleteUseCase,
  mayUseUseCase,
  ownershipOfUseCases,
  registerUseCaseChangeKinds,
  saveUseCase,
  setUseCaseStage,
  snapshotOfUseCase,
  stageOfUseCase,
  type UseCaseInput,
  type UseCaseSnapshot,
  type UseCaseStore,
  type UseCaseWriteOptions,
  useCaseCardSchema,
  useCaseInputSchema,
  useCasesFeeding,
  useCasesSearching,
} from './use-cases.ts';
