/**
 * vocabulary/ — the domain vocabulary (docs/vocabulary.md): synonyms and acronyms per use case, versioned and
 * audited (vocabulary.ts), applied by the retriever as query expansion through `createVocabularyLookup`
 * (injected by the composition root); suggestions from the corpus and from questions that found nothing
 * (suggestions.ts); training pairs for fine-tuning an embedding model (training-pairs.ts).
 */
export { vocabularyErrorCodes } from './error-codes.ts';
export {
  type AcronymSuggestion,
  clusterQuestions,
  findAcronymPairs,
  matchLongForm,
  type QueryCluster,
  suggestVocabulary,
  type VocabularySuggestions,
} from './suggestions.ts';
export {
  type ExportPairsOptions,
  type ExportPairsReport,
  exportTrainingPairs,
  type TrainingPair,
} from './training-pairs.ts';
export {
  type AddVocabularyInput,
  addVocabularyEntry,
  createVocabularyLookup,
  listVocabulary,
  looksLikeAcronym,
  normaliseTerm,
  removeVocabularyEntry,
  type VocabularyEntry,
  type VocabularyKind,
  type VocabularyVersion,
  vocabularyHistory,
  vocabularyKinds,
  vocabularySynonyms,
} from './vocabulary.ts';
