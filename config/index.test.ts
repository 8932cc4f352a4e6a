import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig, repoRoot } from './index';

describe('loadConfig', () => {
  it('is deep-frozen: assigning a nested field throws, and so does pushing to a list', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(() => {
      (config.temporal as { address: string }).address = 'elsewhere:7233';
    }).toThrow(TypeError);
    expect(() => {
      (config.ocsp.timing as { refreshAfterSeconds: number }).refreshAfterSeconds = 1;
    }).toThrow(TypeError);
    expect(() => (config.mpic.perspectives as unknown[]).push({})).toThrow(TypeError);
    expect(config.temporal.address).toBe('127.0.0.1:7233');
  });

  it('reads each setting from its variable, with the development defaults under ./data', () => {
    const d = loadConfig({});
    expect(d.environment).toBe('development');
    expect(d.dataDir).toBe(`${repoRoot}/data`);
    // The private cluster's two roles: the services' runtime login and the migrations' owner (docs/SECURITY.md).
    expect(d.database).toEqual({ url: 'postgres://ca_app@127.0.0.1:5433/ca', ownerUrl: 'postgres://ca_owner@127.0.0.1:5433/ca', managedPort: 5433 });
    expect(d.hsm.pinFile).toBe(`${repoRoot}/data/secrets/hsm-user-pin`);
    expect(d.api.publicBaseUrl).toBe('http://127.0.0.1:8080');
    expect(d.urls.dv).toEqual({
      crl: 'http://ca.example.jp/repository/crl/dv.crl',
      ocsp: 'http://ca.example.jp/ocsp/dv',
      caIssuers: 'http://ca.example.jp/repository/ca/dv.cer',
    });
    expect(d.mpic.perspectives.map((p) => `${p.id}:${p.region}`)).toEqual(['dev-arin:ARIN', 'dev-ripe:RIPE', 'dev-apnic:APNIC', 'dev-lacnic:LACNIC', 'dev-afrinic:AFRINIC']);
    expect(d.lint.linters).toEqual(['zlint', 'pkilint']);
    expect(d.dcvHttp.allowLoopback).toBe(true);
    expect(d.acme.eabRequired).toBe(false);

    const c = loadConfig({
      DATABASE_URL: 'postgres://x@db.example/ca',
      CA_PUBLIC_BASE_URL: 'http://ca.jprs.jp/',
      CA_PERSPECTIVES: 'eu:ripe@10.0.0.1:53',
      CA_REGISTRAR_DOMAINS: ' Example.JP, ,b.jp',
      CA_CPS_QUALIFIER: 'off',
      CA_ACME_PUBLIC_URL: 'https://acme.example/acme/',
    });
    expect(c.database).toEqual({ url: 'postgres://x@db.example/ca', ownerUrl: 'postgres://x@db.example/ca', managedPort: undefined });
    const roles = loadConfig({ DATABASE_URL: 'postgres://app@db.example/ca', DATABASE_OWNER_URL: 'postgres://owner@db.example/ca' });
    expect(roles.database).toEqual({ url: 'postgres://app@db.example/ca', ownerUrl: 'postgres://owner@db.example/ca', managedPort: undefined });
    expect(c.urls.root.crl).toBe('http://ca.jprs.jp/repository/crl/root.crl');
    expect(c.api.publicBaseUrl).toBe('http://ca.jprs.jp');
    expect(c.mpic.perspectives).toEqual([{ id: 'eu', region: 'RIPE', taskQueue: 'perspective-eu', resolver: { host: '10.0.0.1', port: 53 } }]);
    expect(c.registrar.domains).toEqual(['example.jp', 'b.jp']);
    expect(c.cps.qualifier).toBe(false);
    expect(c.acme.publicUrl).toBe('https://acme.example/acme');
  });

  it('production: no perspectives by default (fails closed), CT always on, EAB required, no loopback fetches', () => {
    const p = loadConfig({ CA_ENV: 'production', CA_CT_SUBMISSION: 'off', CA_DCV_HTTP_ALLOW_LOOPBACK: 'on' });
    expect(p.mpic.perspectives).toEqual([]);
    expect(p.ct.submission).toBe(true);
    expect(p.acme.eabRequired).toBe(true);
    expect(p.dcvHttp.allowLoopback).toBe(false);
    expect(p.caaClimbStopsAt).toBeUndefined();
  });

  it('refuses what breaks a rule, naming the variable', () => {
    expect(() => loadConfig({ CA_LINTERS: '' })).toThrow(/CA_LINTERS must name at least one linter/);
    expect(() => loadConfig({ CA_LINTERS: 'zlint,certlint' })).toThrow(/unknown linter certlint/);
    expect(() => loadConfig({ CA_PERSPECTIVES: 'a:ARIN,a:RIPE' })).toThrow(/duplicate perspective a/);
    expect(() => loadConfig({ CA_CRL_INTERVAL_SECONDS: String(8 * 86_400) })).toThrow(/CA_CRL_INTERVAL_SECONDS/);
    expect(() => loadConfig({ CA_API_PORT: 'eighty' })).toThrow(/CA_API_PORT/);
    expect(() => loadConfig({ CA_OCSP_RESPONSE_VALIDITY_SECONDS: '3600' })).toThrow(/at least 8 hours \(BR 4\.9\.10/);
  });

  it('secrets as files: the database password and the HSM PIN file; Temporal mTLS files need cert and key together', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'config-secrets-'));
    writeFileSync(path.join(dir, 'db-password'), 'p@ss:w/rd%\n');
    const c = loadConfig({
      DATABASE_URL: 'postgres://ca_api@127.0.0.1:25432/ca',
      DATABASE_PASSWORD_FILE: path.join(dir, 'db-password'),
      HSM_PIN_FILE: '/run/secrets/hsm-pin',
      TEMPORAL_TLS_CA: '/etc/ops-ca.pem',
      TEMPORAL_TLS_CERT: '/run/secrets/client.pem',
      TEMPORAL_TLS_KEY: '/run/secrets/client-key.pem',
      TEMPORAL_TLS_SERVER_NAME: 'temporal-frontend',
    });
    expect(decodeURIComponent(new URL(c.database.url).password)).toBe('p@ss:w/rd%');
    expect(new URL(c.database.url).username).toBe('ca_api');
    expect(c.hsm.pinFile).toBe('/run/secrets/hsm-pin');
    expect(c.temporal.tls).toEqual({ ca: '/etc/ops-ca.pem', cert: '/run/secrets/client.pem', key: '/run/secrets/client-key.pem', serverName: 'temporal-frontend' });
    expect(loadConfig({}).temporal.tls).toEqual({});
    expect(() => loadConfig({ TEMPORAL_TLS_CERT: '/run/secrets/client.pem' })).toThrow(/TEMPORAL_TLS_CA, TEMPORAL_TLS_CERT, TEMPORAL_TLS_KEY, TEMPORAL_TLS_SERVER_NAME: a client certificate needs its key/);
  });
});
