import type { RouteDefinition } from '../define-route.ts';
import type { HttpMetrics } from '../http-metrics.ts';
import { actionRoutes } from './action-routes.ts';
import { adoptionRoutes } from './adoption-routes.ts';
import { answerRoutes } from './answer-routes.ts';
import { authConfigRoutes } from './auth-config-routes.ts';
import { changeRoutes } from './change-routes.ts';
import { claimsRoutes } from './claims-routes.ts';
import { dataAuditRoutes } from './data-audit-routes.ts';
import { documentRoutes } from './document-routes.ts';
import { evaluateRoutes } from './evaluate-routes.ts';
import { feedbackRoutes } from './feedback-routes.ts';
import { governRoutes } from './govern-routes.ts';
import { identityRoutes } from './identity-routes.ts';
import { incidentRoutes } from './incident-routes.ts';
import { type IngestRouteDeps, ingestRoutes } from './ingest-routes.ts';
import { jobsRoutes } from './jobs-routes.ts';
import { monitorRoutes } from './monitor-routes.ts';
import { observeRoutes } from './observe-routes.ts';
import { promptRoutes } from './prompt-routes.ts';
import { reviewRoutes } from './review-routes.ts';
import { rolloutRoutes } from './rollout-routes.ts';
import { searchRoutes } from './search-routes.ts';
import { systemRoutes } from './system-routes.ts';
import { vocabularyRoutes } from './vocabulary-routes.ts';

/** Every built-in route; each feature's routes live in their own file. */
export function apiRoutes(deps: { metrics: HttpMetrics; draining: () => boolean } & IngestRouteDeps): RouteDefinition[] {
  return [
    ...systemRoutes(deps),
    ...authConfigRoutes(),
    ...governRoutes(),
    ...changeRoutes(),
    ...observeRoutes(),
    ...searchRoutes(),
    ...ingestRoutes(),
    ...jobsRoutes(),
    ...documentRoutes(),
    ...answerRoutes(),
    ...promptRoutes(),
    ...evaluateRoutes(deps),
    ...incidentRoutes(),
    ...adoptionRoutes(),
    ...reviewRoutes(),
    ...feedbackRoutes(),
    ...monitorRoutes(),
    ...rolloutRoutes(),
    ...actionRoutes(),
    ...dataAuditRoutes(),
    ...claimsRoutes(),
    ...identityRoutes(),
    ...vocabularyRoutes(),
  ];
}
