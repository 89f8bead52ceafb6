/**
 * monitor/ — monitors over production traffic and data freshness, their alerts and webhook notifications.
 * Evaluation runs in the `monitors-evaluate` job (src/worker.ts), never on the answer path. See docs/monitoring.md.
 */
export {
  type Alert,
  type AlertActionInput,
  type AlertExampleTrace,
  type AlertFilters,
  type AlertStatus,
  acknowledgeAlert,
  alertActionSchema,
  alertStatuses,
  getAlert,
  listAlerts,
  openAlertCounts,
  resolveAlert,
} from './alerts.ts';
export { type DeliveryAttempt, type DeliveryResult, deliverAlertWebhook } from './deliveries.ts';
export { monitorErrorCodes } from './error-codes.ts';
export { type EvaluateOptions, evaluateMonitors, type MonitorEvaluationResult } from './evaluate.ts';
export {
  isMonitorKind,
  type KindInfo,
  kindInfo,
  kolmogorovSmirnov,
  type MonitorKind,
  measure,
  monitorKinds,
  populationStability,
} from './kinds.ts';
export {
  type CreateMonitorInput,
  createMonitor,
  createMonitorSchema,
  deleteMonitor,
  getMonitor,
  listMonitors,
  type Monitor,
  type MonitorDeps,
  type MonitorDetail,
  type MonitorFilters,
  monitorSystemCaller,
  reconcileConfiguredMonitors,
  type UpdateMonitorInput,
  updateMonitor,
  updateMonitorSchema,
} from './monitors.ts';
export { type PipelineOverview, type PipelineSource, type PipelineUseCase, pipelineOverview } from './pipeline.ts';
export { breaches, formatDuration, parseDuration, parseThreshold, type Threshold, thresholdGrammar } from './threshold.ts';
export {
  type AlertNotice,
  checkWebhookUrl,
  isPrivateAddress,
  redactWebhookUrl,
  signWebhook,
  type WebhookFormat,
  webhookBody,
  webhookFormats,
} from './webhooks.ts';
