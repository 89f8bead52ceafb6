#!/usr/bin/env bash
# Lets the tests start a streaming replica of the local PostgreSQL (src/store/read-replica.test.ts,
# DATABASE_READ_URL): replication connections from loopback, trusted like every other loopback connection
# of this development / CI cluster. Idempotent; run as root (or the postgres user) on the database host.
set -euo pipefail
psql=(psql -q -h 127.0.0.1 -U postgres -d postgres -At)
hba="$("${psql[@]}" -c 'SHOW hba_file')"
line='host replication all 127.0.0.1/32 trust'
if ! grep -qxF "$line" "$hba"; then
  echo "$line" >>"$hba"
  "${psql[@]}" -c 'SELECT pg_reload_conf()' >/dev/null
fi
# pg_basebackup needs a WAL sender; the defaults (wal_level replica, max_wal_senders 10) already allow it.
test "$("${psql[@]}" -c 'SHOW wal_level')" != minimal
