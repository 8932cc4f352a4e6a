/**
 * OV steps as an applicant and the CA's operators take them in end-to-end tests: a registry file in the NTA layout
 * imported with the admin command, an organization registered through the API, operators created and acting through
 * the admin CLI (which authenticates them with CA_OPERATOR_PASSWORD).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'vitest';
import type { NtaCsvRow } from '../../domain/nta-registry';
import { writeNtaFile } from '../../scripts/lib/nta-registry-file';
import { eventually, type Harness } from './ca-harness';

export interface AdminRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `npm run admin -- …` as an operator runs it (against the harness's database and Temporal). Asynchronous on purpose:
 * the harness's workers share this process's event loop, and a vetting command waits for their answer to its Update.
 */
export function runAdmin(args: readonly string[], env: Record<string, string> = {}): Promise<AdminRun> {
  return new Promise((resolve) => {
    execFile('npx', ['tsx', 'scripts/admin.ts', ...args], { encoding: 'utf8', env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

export async function adminJson<T = Record<string, unknown>>(args: readonly string[], env: Record<string, string> = {}): Promise<T> {
  const r = await runAdmin(args, env);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
}

/** Writes the rows as an NTA CSV file and imports it with `registry import`. */
export async function importRegistryRows(rows: readonly NtaCsvRow[]): Promise<{ inserted: number; updated: number }> {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'nta-')), 'diff.csv');
  await writeNtaFile(file, rows);
  return adminJson(['registry', 'import', file]);
}

export interface TestOperator {
  readonly id: string;
  readonly name: string;
  readonly password: string;
}

export function createOperator(name: string, roles: readonly string[]): Promise<TestOperator> {
  return adminJson<TestOperator>(['operator', 'create', '--name', name, ...roles.flatMap((r) => ['--role', r])]);
}

/** A vetting action through the admin CLI, as `operator`. */
export function vettingCli(operator: TestOperator, action: string, vettingId: string, args: readonly string[] = []): Promise<AdminRun> {
  return runAdmin(['vetting', action, vettingId, '--operator', operator.name, ...args], { CA_OPERATOR_PASSWORD: operator.password });
}

export interface OrganizationJson {
  readonly id: string;
  readonly legalName: string;
  readonly corporateNumber: string | null;
  readonly vetting: { id: string; status: string; workflowId: string; expiresAt: string } | null;
  readonly vettedRecord: { id: string; subject: { C: string; ST: string; L: string; O: string }; validUntil: string } | null;
}

export async function registerOrganization(h: Harness, apiKey: string, body: Record<string, unknown>): Promise<OrganizationJson> {
  const res = await h.api('/v1/organizations', { method: 'POST', apiKey, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const json = (await res.json()) as OrganizationJson;
  expect(res.status, JSON.stringify(json)).toBe(201);
  return json;
}

export async function getOrganization(h: Harness, apiKey: string, id: string): Promise<OrganizationJson> {
  const res = await h.api(`/v1/organizations/${id}`, { apiKey });
  expect(res.status).toBe(200);
  return (await res.json()) as OrganizationJson;
}

/** Polls until the organization's vetting has `status`. */
export function waitForVetting(h: Harness, apiKey: string, id: string, status: string, timeoutMs = 60_000): Promise<OrganizationJson> {
  return eventually(async () => {
    const o = await getOrganization(h, apiKey, id);
    return o.vetting?.status === status ? o : null;
  }, timeoutMs);
}

/** The application body for a registry row, spelled the way an applicant types it (half-width, （株）, 丁目番号). */
export function applicationFor(row: NtaCsvRow, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    legalName: row.name.normalize('NFKC').replace(/\s+/g, '').replace('株式会社', '(株)'),
    corporateNumber: row.corporate_number,
    address: { country: 'JP', prefecture: row.prefecture_name, city: row.city_name, street: row.street_number.normalize('NFKC') },
    telephone: '03-5215-8451',
    representative: { name: '日本 太郎', title: '代表取締役', email: 'representative@example.jp' },
    ...overrides,
  };
}
