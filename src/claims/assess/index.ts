/**
 * claims/assess — the pure claims assessment (docs/claims-assessment.md): document classification,
 * extraction with citations, fraud indicators, the preliminary determination with a calibrated confidence,
 * and tiered routing. No database: the workflow (src/claims) hands it everything and stores what it returns.
 */
export { type AssessmentDetail, assessClaim } from './assess-claim.ts';
export { classifyDocument } from './classify.ts';
export { claimsConfigSchema, defaultClaimsConfig } from './config.ts';
export {
  calibratedConfidence,
  confidenceCalibration,
  type DeterminationFeatures,
  determine,
  expectedCalibrationError,
  fitPlatt,
  rawConfidence,
} from './determine.ts';
export {
  coverageNeeded,
  type DocumentExtraction,
  documentRecord,
  documentSchemas,
  extractDocument,
  extraFieldNames,
  mergeClaimFields,
} from './extract.ts';
export { assessFraud, damageTypeOf, fraudCodes } from './fraud.ts';
export { areaOfDescription, areaOfPart, type DamageArea, damageAreaParts } from './lexicon.ts';
export { defaultExtractionPrompt, locateValue, modelExtractDocument } from './model-extract.ts';
export { buildExif, type PhotoMetadata, photoDocumentParts, readPhotoMetadata } from './photo-metadata.ts';
export { routeClaim } from './route.ts';
export { combineFraudScore } from './score.ts';
