#!/usr/bin/env bash
# Start PostgreSQL and Redis on loopback if they are installed but not running.
# Tests that need them skip when unreachable (and fail under CI=true).
pg_up()    { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }
if ! pg_up && command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! redis_up && command -v redis-server >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --logfile /tmp/warta-redis.log || true
fi
for _ in $(seq 1 20); do pg_up && redis_up && exit 0; sleep 0.5; done
echo "services.sh: PostgreSQL or Redis not reachable on 127.0.0.1 (their tests will skip)" >&2
