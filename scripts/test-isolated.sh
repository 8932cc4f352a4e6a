#!/usr/bin/env bash
# Run vitest with the integration services on a private slot (data dir and ports), so that several developers
# (or agents) can run integration tests at once on one machine without sharing PostgreSQL/Temporal/DNS.
#   scripts/test-isolated.sh <slot 1-9> [vitest args...]
set -euo pipefail
slot="$1"; shift
cd "$(dirname "$0")/.."
# None of these is a port of the plain `npm test` (15433, 17233, 18053, 18055, 18080, 18090: test/support/global-setup.ts)
# or of a benchmark (scripts/bench-*.ts), so a slot runs beside either.
export CA_DATA_DIR="$PWD/.data-test-$slot" CA_PG_PORT="1643$slot" TEMPORAL_ADDRESS="127.0.0.1:1733$slot" \
  CA_API_PORT="1818$slot" CA_API_TLS_PORT="1819$slot" CA_DNS_RESOLVER="127.0.0.1:1815$slot" CA_DEV_DNS_PORT="1815$slot" CA_DEV_DNS_ADMIN_PORT="1816$slot"
exec npx vitest run "$@"
