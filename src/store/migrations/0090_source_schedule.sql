-- A source's sync schedule (cron, UTC): `sources add --schedule`, `sources schedule`, POST/PATCH over the API.
-- The workers' cron pass (pg-boss schedules, keyed by source id) enqueues a `sync-source` job per occurrence;
-- this column is the record they are reconciled from when a worker starts. NULL: synced only on request.
ALTER TABLE sources ADD COLUMN schedule text;
