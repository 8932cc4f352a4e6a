/**
 * docker-compose.yml mirrors the topology of `npm run stack`: it is generated from the same tables (scripts/lib/
 * compose.ts), the committed files are what the generator writes, every variable it sets on the CA's image is one
 * config/ reads, secrets are files, and each perspective sits on a network of its own with only the Temporal frontend.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configVariables, repoRoot } from '../../config';
import { composeProject } from '../../scripts/lib/compose';
import { composeFiles } from '../../scripts/lib/compose-files';
import { caProcesses, stackPerspectives } from '../../scripts/lib/stack/layout';

type Service = { build?: string; environment?: Record<string, string>; networks?: string[]; secrets?: string[]; user?: string };
const project = composeProject() as { services: Record<string, Service>; networks: Record<string, { internal?: boolean }>; secrets: Record<string, { file: string }> };
const caImage = Object.entries(project.services).filter(([, s]) => s.build === '.');

describe('docker-compose.yml', () => {
  it.each(Object.entries(composeFiles()))('%s is what `npm run compose` writes', (file, content) => {
    expect(readFileSync(path.join(repoRoot, file), 'utf8')).toBe(content);
  });

  it.each(caImage)('%s sets only variables that config/ reads', (_name, service) => {
    const unknown = Object.keys(service.environment ?? {}).filter((v) => !configVariables.includes(v));
    expect(unknown).toEqual([]);
  });

  it('has a service for every CA process of the stack, each under its own uid, and passes no secret in the environment', () => {
    for (const p of caProcesses) expect(project.services[p.name], p.name).toBeDefined();
    const uids = caProcesses.map((p) => project.services[p.name]!.user);
    expect(new Set(uids).size).toBe(caProcesses.length);
    // A variable about a key, password, PIN or certificate holds the path of a mounted secret file, never the secret.
    const secretish = Object.entries(project.services).flatMap(([name, s]) =>
      Object.entries(s.environment ?? {}).filter(([k]) => /(KEY|PASSWORD|PIN|CERT)(_FILE)?$/.test(k)).map(([k, v]) => [`${name} ${k}`, v] as const),
    );
    expect(secretish.length).toBeGreaterThan(20);
    for (const [where, v] of secretish) expect(v, where).toMatch(/^\/run\/secrets\/[\w.-]+$/);
    expect(Object.values(project.secrets).every((s) => s.file.startsWith('./secrets/'))).toBe(true);
  });

  it('has Prometheus scrape every CA container where it listens, over a network they share', () => {
    const prometheus = JSON.parse(composeFiles()['deploy/prometheus.yml']!) as { scrape_configs: Array<{ static_configs: Array<{ targets: string[] }> }> };
    const targets = prometheus.scrape_configs.flatMap((c) => c.static_configs.flatMap((x) => x.targets));
    // The API and OCSP serve /metrics on their plain-http doors (config defaults 8080, 8081); the rest on CA_METRICS_PORT.
    const doors: Record<string, string> = { api: '8080', ocsp: '8081' };
    for (const p of caProcesses) {
      const s = project.services[p.name]!;
      const ports = [s.environment?.CA_METRICS_PORT ?? doors[p.name], s.environment?.CA_TEMPORAL_METRICS_PORT].filter((x) => x !== undefined);
      expect(ports.length, p.name).toBeGreaterThan(0);
      for (const port of ports) expect(targets, p.name).toContain(`${p.name}:${port}`);
      expect(s.networks!.some((n) => project.services.prometheus!.networks!.includes(n)), p.name).toBe(true);
    }
  });

  it('puts each perspective and its own resolver on an internal network of their own, with the Temporal frontend (and Prometheus, which scrapes it) only', () => {
    for (const p of stackPerspectives) {
      const net = `persp-${p.id}`;
      expect(project.networks[net]).toEqual({ internal: true });
      const members = Object.entries(project.services).filter(([, s]) => s.networks?.includes(net)).map(([n]) => n).sort();
      expect(members).toEqual([p.id, 'prometheus', 'temporal', `unbound-${p.id}`].sort());
      expect(project.services[p.id]!.networks).toEqual([net]);
    }
    expect(project.services.postgresql!.networks).toEqual(['backend']);
    expect(project.networks.backend).toEqual({ internal: true });
  });
});
