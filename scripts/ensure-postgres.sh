#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432, starting the local cluster when it is down.
set -euo pipefail
host=${PGHOST_FOR_TESTS:-127.0.0.1}
if pg_isready -q -h "$host" -p 5432 2>/dev/null; then exit 0; fi
command -v pg_ctlcluster >/dev/null 2>&1 || { echo "ensure-postgres: no pg_ctlcluster; install postgresql" >&2; exit 1; }
version=$(ls /usr/lib/postgresql | sort -V | tail -1)
pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || pg_ctlcluster "$version" main start
for _ in $(seq 1 60); do
  pg_isready -q -h "$host" -p 5432 && exit 0
  sleep 0.5
done
echo "ensure-postgres: PostgreSQL did not come up on $host:5432" >&2
exit 1
