/**
 * A small YAML writer for generated files (docker-compose.yml): block mappings and sequences, every string
 * double-quoted in JSON syntax (a subset of YAML's double-quoted scalars, so nothing is ever read as a number, a
 * boolean or an anchor), keys bare when they are plain words. Enough for data made of objects, arrays, strings,
 * numbers and booleans; there is no YAML reader here.
 */
type Value = string | number | boolean | null | readonly Value[] | { readonly [k: string]: Value | undefined };

const key = (k: string) => (/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(k) ? k : JSON.stringify(k));

function scalar(v: string | number | boolean | null): string {
  return typeof v === 'string' ? JSON.stringify(v) : String(v);
}

const isEmpty = (v: Value) => (Array.isArray(v) ? v.length === 0 : typeof v === 'object' && v !== null && Object.keys(v).length === 0);

/** A short list of scalars on one line, in flow style (JSON's syntax): `["node", "--import", "tsx"]`. */
function flow(v: Value, indent: string): string | undefined {
  if (!Array.isArray(v) || !(v as readonly Value[]).every((x) => typeof x !== 'object' || x === null)) return undefined;
  const text = `[${(v as Array<string | number | boolean | null>).map(scalar).join(', ')}]`;
  return indent.length + text.length <= 110 ? text : undefined;
}

function lines(v: Value, indent: string): string[] {
  if (Array.isArray(v)) {
    return (v as readonly Value[]).flatMap((item) => {
      if (typeof item !== 'object' || item === null || isEmpty(item)) return [`${indent}- ${isEmpty(item) ? (Array.isArray(item) ? '[]' : '{}') : scalar(item as string)}`];
      const [first, ...rest] = lines(item, `${indent}  `);
      return [`${indent}- ${first!.trimStart()}`, ...rest];
    });
  }
  const entries = Object.entries(v as Record<string, Value | undefined>).filter(([, x]) => x !== undefined) as Array<[string, Value]>;
  return entries.flatMap(([k, x]) => {
    if (typeof x !== 'object' || x === null) return [`${indent}${key(k)}: ${scalar(x)}`];
    if (isEmpty(x)) return [`${indent}${key(k)}: ${Array.isArray(x) ? '[]' : '{}'}`];
    const inline = flow(x, `${indent}${key(k)}: `);
    return inline ? [`${indent}${key(k)}: ${inline}`] : [`${indent}${key(k)}:`, ...lines(x, `${indent}  `)];
  });
}

/** The document, after `header` as comment lines. */
export function toYaml(value: Value, header: readonly string[] = []): string {
  return `${[...header.map((h) => (h ? `# ${h}` : '#')), ...lines(value, '')].join('\n')}\n`;
}

export type YamlValue = Value;
