#!/usr/bin/env bash
# Installs pgvector into the local PostgreSQL server when it is missing.
# Debian 12 ships no binary pgvector for PostgreSQL 15, so build it from Debian trixie's source package.
set -euo pipefail
PG_MAJOR="${PG_MAJOR:-$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)}"
if [ -z "$PG_MAJOR" ]; then echo "install-pgvector: no local PostgreSQL found under /etc/postgresql" >&2; exit 1; fi
SHAREDIR="$(/usr/lib/postgresql/$PG_MAJOR/bin/pg_config --sharedir 2>/dev/null || echo /usr/share/postgresql/$PG_MAJOR)"
if [ -f "$SHAREDIR/extension/vector.control" ]; then
  echo "install-pgvector: pgvector already installed for PostgreSQL $PG_MAJOR"
  exit 0
fi
echo "install-pgvector: building pgvector for PostgreSQL $PG_MAJOR from Debian source"
export DEBIAN_FRONTEND=noninteractive
if ! grep -rqs "trixie" /etc/apt/sources.list /etc/apt/sources.list.d/; then
  echo "deb-src http://deb.debian.org/debian trixie main" > /etc/apt/sources.list.d/trixie-src.list
fi
apt-get update -qq
apt-get install -y -qq "postgresql-server-dev-$PG_MAJOR" dpkg-dev make gcc >/dev/null
work="$(mktemp -d)"
( cd "$work" && apt-get source -qq pgvector >/dev/null 2>&1 )
src="$(find "$work" -maxdepth 1 -type d -name 'pgvector-*' | head -1)"
if [ -z "$src" ]; then echo "install-pgvector: apt-get source pgvector produced no source tree" >&2; exit 1; fi
make -s -C "$src" PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" OPTFLAGS="" >/dev/null
make -s -C "$src" PG_CONFIG="/usr/lib/postgresql/$PG_MAJOR/bin/pg_config" install >/dev/null
rm -rf "$work"
echo "install-pgvector: installed pgvector into PostgreSQL $PG_MAJOR"
