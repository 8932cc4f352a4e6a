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

# pkilint 0.13.3 (lint_crl, lint_ocsp_response, lint_cabf_serverauth_cert): independent DER checks in the tests
# (CRLs, OCSP responses, certificates). In a venv, since Debian's system Python refuses pip installs (PEP 668); skipped when present.
if ! command -v lint_crl >/dev/null; then
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    apt-get update -q
    apt-get install -y -q python3 python3-venv
  fi
  echo "[install-tools] pip install pkilint==0.13.3 (venv /opt/pkilint)"
  python3 -m venv /opt/pkilint
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
  python3 -m venv /opt/certbot
  /opt/certbot/bin/pip install -q certbot==5.8.0
  ln -sf /opt/certbot/bin/certbot /usr/local/bin/certbot
fi
command -v pebble >/dev/null || { apt-get update -q; apt-get install -y -q pebble; }

