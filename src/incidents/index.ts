/**
 * incidents/ — incidents (severity, status, timeline, links, rollback of the affected use case) and the
 * per-use-case change log. See docs/governance.md.
 */
export {
  type ChangeLogArea,
  type ChangeLogEntry,
  type ChangeLogOptions,
  type ChangeLogRequest,
  type EvalDelta,
  listUseCaseChanges,
  type UseCaseChangeLog,
} from './change-log.ts';
export { incidentsErrorCodes } from './error-codes.ts';
export {
  addIncidentLink,
  announceIncident,
  appendIncidentEvent,
  getIncident,
  type Incident,
  type IncidentDetail,
  type IncidentEvent,
  type IncidentEventKind,
  type IncidentFilters,
  type IncidentLink,
  type IncidentLinkInput,
  type IncidentLinkKind,
  type IncidentSeverity,
  type IncidentStatus,
  type IncidentWriteContext,
  incidentEventKinds,
  incidentLinkKinds,
  incidentSeverities,
  incidentStatuses,
  incidentsLinkedTo,
  listIncidents,
  type OpenIncidentInput,
  openIncident,
  openIncidentSchema,
  type ResolveIncidentInput,
  resolveIncident,
  resolveIncidentSchema,
  type UpdateIncidentInput,
  updateIncident,
  updateIncidentSchema,
} from './incidents.ts';
export { type ReleaseNote, type ReleaseNoteKind, type ReleaseNotes, useCaseReleaseNotes } from './release-notes.ts';
export {
  type IncidentRollback,
  type RollbackIncidentInput,
  type RollbackOutcome,
  type RollbackTarget,
  rollbackFromIncident,
  rollbackIncidentSchema,
  rollbackTargets,
} from './rollback.ts';
