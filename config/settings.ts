/**
 * The machinery behind config/index.ts: a setting is a zod schema tagged with the environment variable it is read
 * from, so the one nested schema there is at once the list of variables, their parsing and defaults, and the type
 * of the configuration. Also the parsers of the few structured values, and the deep freeze.
 */
import { z } from 'zod';

const envNames = new Map<z.ZodType, string>();

/** A setting read from the environment variable `name`, parsed (and defaulted) by `schema`. */
export function setting<T extends z.ZodType>(name: string, schema: T): T {
  envNames.set(schema, name);
  return schema;
}

/** 'on' | 'off' (unset: `fallback`), as a boolean. */
export const onOff = (fallback: 'on' | 'off') => z.enum(['on', 'off']).default(fallback).transform((v) => v === 'on');

/**
 * Parses `source` (the environment) with a schema built of `setting`s grouped in objects: each setting reads its
 * variable at its place in the tree. Errors name the variable, not the path in the configuration object.
 */
export function parseEnv<T extends z.ZodType>(schema: T, source: Readonly<Record<string, string | undefined>>): z.output<T> {
  const variableAt = new Map<string, string>();
  const input = readTree(schema, source, [], variableAt);
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  // A rule over a group (e.g. the OCSP timing) names every variable of the group.
  const variablesAt = (at: string) =>
    variableAt.get(at) ?? [...variableAt].filter(([p]) => at === '' || p.startsWith(`${at}.`)).map(([, v]) => v).join(', ');
  const lines = result.error.issues.map((i) => `${variablesAt(i.path.join('.'))}: ${i.message}`);
  throw new Error(`Invalid configuration: ${lines.join('; ')}`);
}

/** Every environment variable a schema of settings reads. */
export function settingVariables(schema: z.ZodType): string[] {
  const variableAt = new Map<string, string>();
  readTree(schema, {}, [], variableAt);
  return [...variableAt.values()];
}

function readTree(schema: z.ZodType, source: Readonly<Record<string, string | undefined>>, at: string[], variableAt: Map<string, string>): unknown {
  const name = envNames.get(schema);
  if (name !== undefined) {
    variableAt.set(at.join('.'), name);
    return source[name];
  }
  if (schema instanceof z.ZodPipe) return readTree(schema.in as z.ZodType, source, at, variableAt);
  if (schema instanceof z.ZodObject) {
    return Object.fromEntries(Object.entries(schema.shape).map(([k, s]) => [k, readTree(s as z.ZodType, source, [...at, k], variableAt)]));
  }
  throw new Error(`configuration schema: ${at.join('.')} is neither a setting nor a group of settings`);
}

export type DeepReadonly<T> = T extends (...args: never[]) => unknown
  ? T
  : T extends readonly (infer U)[]
    ? readonly DeepReadonly<U>[]
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/** Freezes the object and everything it holds: the configuration is parsed once and nobody changes it afterwards. */
export function deepFreeze<T>(value: T): DeepReadonly<T> {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value as DeepReadonly<T>;
}

export function hostPort(value: string): { host: string; port: number } {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(value);
  if (!m) throw new Error(`expected host:port, got ${value}`);
  return { host: m[1]!, port: Number(m[2]) };
}

/** One remote network perspective (BR 3.2.2.9): its own worker, task queue, resolver and RIR region. */
export interface PerspectiveConfig {
  readonly id: string;
  readonly region: string;
  readonly taskQueue: string;
  readonly resolver: { readonly host: string; readonly port: number };
}

/** `id:RIR[@host:port]`, comma-separated; a perspective without a resolver uses the primary's. */
export function parsePerspectives(value: string, defaultResolver: { host: string; port: number }): PerspectiveConfig[] {
  const out: PerspectiveConfig[] = [];
  for (const item of value.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^([a-z0-9][a-z0-9-]*):([A-Za-z]+)(?:@(.+))?$/.exec(item);
    if (!m) throw new Error(`CA_PERSPECTIVES: expected id:RIR[@host:port], got ${item}`);
    if (out.some((p) => p.id === m[1])) throw new Error(`CA_PERSPECTIVES: duplicate perspective ${m[1]}`);
    out.push({ id: m[1]!, region: m[2]!.toUpperCase(), taskQueue: `perspective-${m[1]}`, resolver: m[3] ? hostPort(m[3]) : defaultResolver });
  }
  return out;
}

export type LinterName = 'zlint' | 'pkilint';

export function parseLinters(value: string): LinterName[] {
  const names = value.split(',').map((s) => s.trim()).filter(Boolean);
  for (const n of names) if (n !== 'zlint' && n !== 'pkilint') throw new Error(`CA_LINTERS: unknown linter ${n}`);
  // POLICY-2026.md: pre-issuance linting is a SHALL — at least one linter always runs.
  if (names.length === 0) throw new Error('CA_LINTERS must name at least one linter (zlint, pkilint)');
  return names as LinterName[];
}
