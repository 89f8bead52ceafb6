-- Gate outcomes of an evaluation run (src/evaluate/run-gated.ts): what a change request's `evalRunId` is checked
-- against (docs/governance.md). NULL = the run was not gated (no gates, no baseline).
ALTER TABLE eval_runs
  ADD COLUMN gates jsonb,
  ADD COLUMN gates_passed boolean;
