#!/usr/bin/env bash
# Run vitest with the integration services on a private slot (data dir and ports), so that several developers
# (or agents) can run integration tests at once on one machine without sharing PostgreSQL/Temporal/DNS.
#   scripts/test-isolated.sh <slot 1-9> [vitest args...]
set -euo pipefail
slot="$1"; shift
cd "$(dirname "$0")/.."
export CA_DATA_DIR="$PWD/.data-test-$slot" CA_PG_PORT="1543$slot" TEMPORAL_ADDRESS="127.0.0.1:1723$slot" \
  CA_API_PORT="1808$slot" CA_API_TLS_PORT="1809$slot" CA_DNS_RESOLVER="127.0.0.1:1805$slot" CA_DEV_DNS_PORT="1805$slot" CA_DEV_DNS_ADMIN_PORT="1806$slot"
exec npx vitest run "$@"
