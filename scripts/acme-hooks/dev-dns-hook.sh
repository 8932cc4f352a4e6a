#!/usr/bin/env bash
# DNS-01 hook for ACME clients against the development CA (docs/ACME.md): writes the _acme-challenge TXT record
# (RFC 8555 §8.4, BR 3.2.2.4.7) into the development DNS server through its admin API (scripts/lib/dev-dns.ts).
#
#   lego:    EXEC_PATH=scripts/acme-hooks/dev-dns-hook.sh lego --dns exec ...   (called as: present|cleanup <fqdn> <value>)
#   certbot: --manual-auth-hook "scripts/acme-hooks/dev-dns-hook.sh certbot-auth"
#            --manual-cleanup-hook "scripts/acme-hooks/dev-dns-hook.sh certbot-cleanup"   (CERTBOT_DOMAIN, CERTBOT_VALIDATION)
#
# The admin API is http://127.0.0.1:$CA_DEV_DNS_ADMIN_PORT (default 8055), or $CA_DEV_DNS_ADMIN_URL; the tests give
# every MPIC perspective its own DNS server and list all their admin URLs, space-separated, in CA_DEV_DNS_ADMIN_URLS.
set -euo pipefail
admins="${CA_DEV_DNS_ADMIN_URLS:-${CA_DEV_DNS_ADMIN_URL:-http://127.0.0.1:${CA_DEV_DNS_ADMIN_PORT:-8055}}}"
mode="${1:-}"
case "$mode" in
  present|cleanup) name="${2%.}"; value="${3:-}" ;;
  certbot-auth|certbot-cleanup) name="_acme-challenge.${CERTBOT_DOMAIN#\*.}"; value="${CERTBOT_VALIDATION}" ;;
  timeout) exit 0 ;;
  *) echo "usage: $0 present|cleanup <fqdn> <value> | certbot-auth | certbot-cleanup" >&2; exit 2 ;;
esac
body=$(printf '{"name":"%s","type":"TXT","value":"%s","ttl":0}' "$name" "$value")
for admin in $admins; do
  case "$mode" in
    present|certbot-auth) curl -fsS -X POST -H 'content-type: application/json' --data "$body" "$admin/records" >/dev/null ;;
    cleanup|certbot-cleanup) curl -fsS -X DELETE -H 'content-type: application/json' --data "$body" "$admin/records" >/dev/null ;;
  esac
done
