-- ACL rules that matched files of a sync but decided none of them (a later rule replaced them everywhere):
-- shown by `groundwork status`, GET /v1/status and the Sources page until a sync no longer finds them.
ALTER TABLE sync_runs ADD COLUMN acl_warnings jsonb NOT NULL DEFAULT '[]';
