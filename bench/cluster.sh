#!/usr/bin/env bash
# A PostgreSQL cluster of its own for the scale benchmarks, on port 5433.
#
# Why not the main cluster: the replica test (tests/test_replica.py) copies the whole
# main cluster with pg_basebackup, and a 10 M case database is ~57 GB. The settings are
# those of a small production server with 24 GB of memory, written down here so every
# figure in bench/README.md can be reproduced.  Needs root and Debian's postgresql-common.
set -euo pipefail
VERSION="${PG_VERSION:-15}"
PORT="${BENCH_PG_PORT:-5433}"

if ! pg_lsclusters -h | awk '{print $2}' | grep -qx bench; then
  pg_createcluster "$VERSION" bench --port "$PORT"
fi
conf="/etc/postgresql/$VERSION/bench/conf.d/90-bench.conf"
cat >"$conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
shared_buffers = 4GB
effective_cache_size = 12GB
work_mem = 16MB
maintenance_work_mem = 1GB
max_wal_size = 2GB
checkpoint_timeout = 15min
min_wal_size = 256MB
random_page_cost = 1.1
max_parallel_maintenance_workers = 2
CONF
hba="/etc/postgresql/$VERSION/bench/pg_hba.conf"
grep -q "^host all all 127.0.0.1/32 trust" "$hba" || \
  sed -i '1i host all all 127.0.0.1/32 trust\nlocal all all trust' "$hba"
pg_ctlcluster "$VERSION" bench restart
echo "bench cluster: postgres://postgres@127.0.0.1:$PORT/  (databases named *_bench)"
