# The settings of `make cluster` (scripts/cluster.sh), each overridable from the environment:
# ports, the PostgreSQL database and Redis, where the pid and log files go. Sourced after
# common.sh. The tests and `python -m eval cluster` start clusters on other ports and folders.
# shellcheck shell=bash
export CLUSTER_DIR="${CLUSTER_DIR:-$ROOT/var/cluster}"
export CLUSTER_HOST="${CLUSTER_HOST:-127.0.0.1}"  # where HAProxy takes patients (0.0.0.0 behind TLS)
export BOT_PORT="${BOT_PORT:-5005}" RASA_1_PORT="${RASA_1_PORT:-5006}" RASA_2_PORT="${RASA_2_PORT:-5007}"
export ACTIONS_PORT="${ACTIONS_PORT:-5055}" ACTIONS_1_PORT="${ACTIONS_1_PORT:-5056}" ACTIONS_2_PORT="${ACTIONS_2_PORT:-5057}"
export CONSOLE_PORT="${CONSOLE_PORT:-8000}" WEB_PORT="${WEB_PORT:-8080}"
export CLUSTER_EXTRAS="${CLUSTER_EXTRAS:-1}"  # 0: no console and no demo page (the tests)
export CLUSTER_CREDENTIALS="${CLUSTER_CREDENTIALS:-credentials.yml}"
# endpoints.postgresql.yml reads these.
export POSTGRES_HOST="${POSTGRES_HOST:-127.0.0.1}" POSTGRES_PORT="${POSTGRES_PORT:-5432}"
export POSTGRES_DB="${POSTGRES_DB:-triage}" POSTGRES_USER="${POSTGRES_USER:-postgres}"
export POSTGRES_PASSWORD="${POSTGRES_PASSWORD:-}"
export REDIS_HOST="${REDIS_HOST:-127.0.0.1}" REDIS_PORT="${REDIS_PORT:-6379}" REDIS_DB="${REDIS_DB:-1}"
# The Rasa servers reach the action servers through HAProxy.
export ACTION_ENDPOINT_URL="http://127.0.0.1:$ACTIONS_PORT/webhook"
# HAProxy on loopback is the one proxy whose X-Forwarded-For the channels believe.
export BOT_TRUSTED_PROXIES="${BOT_TRUSTED_PROXIES:-127.0.0.1/32}"
export RASA_CORS="${RASA_CORS:-http://localhost:$WEB_PORT http://127.0.0.1:$WEB_PORT}"
export TRACKER_DB_URL="postgresql://$POSTGRES_USER${POSTGRES_PASSWORD:+:$POSTGRES_PASSWORD}@$POSTGRES_HOST:$POSTGRES_PORT/$POSTGRES_DB"
CLUSTER_VARS=(CLUSTER_DIR CLUSTER_HOST BOT_PORT RASA_1_PORT RASA_2_PORT ACTIONS_PORT ACTIONS_1_PORT
  ACTIONS_2_PORT CONSOLE_PORT WEB_PORT CLUSTER_EXTRAS CLUSTER_CREDENTIALS POSTGRES_HOST
  POSTGRES_PORT POSTGRES_DB POSTGRES_USER POSTGRES_PASSWORD REDIS_HOST REDIS_PORT REDIS_DB
  ACTION_ENDPOINT_URL BOT_TRUSTED_PROXIES RASA_CORS TRACKER_DB_URL)
# The processes, in start order; each writes $CLUSTER_DIR/<name>.pid.
CLUSTER_NODES=(actions-1 actions-2 haproxy rasa-1 rasa-2)
