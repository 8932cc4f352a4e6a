/**
 * Property-based fuzzing of the doors that take untrusted DER (fast-check): inputs made from valid samples of what a
 * door takes (a CSR, an OCSP request, a certificate...) by the mutations that broke parsers before —
 *   random bytes; bit flips; truncations; inflated lengths; trailing bytes (byte-level, lengths left inconsistent);
 *   wrong tags, garbage in a primitive value (a malformed time, string, integer), a dropped or repeated element and
 *   deep nesting inside the valid structure (tree-level: every length re-encoded, so the input is well-formed DER
 *   down to the mutation).
 * `fuzz()` runs a property over them with a seed (FUZZ_SEED to replay one; FUZZ_RUNS to change the count), prints the
 * case count and the seed, and on failure fast-check's report (seed, path, counterexample).
 */
import fc from 'fast-check';
import { bytesEqual, concat, encodeLength } from '../../pki/der';

/**
 * One TLV: its identifier octets and either its children (constructed, or DER embedded in an OCTET/BIT STRING) or
 * content; `der` is its encoding while it is unchanged (only the path to an edit is encoded again).
 */
interface Node {
  readonly der?: Uint8Array;
  readonly tag: Uint8Array;
  readonly children?: readonly Node[];
  /** For an embedded DER value: the octets before it (a BIT STRING's unused-bits octet). */
  readonly prefix?: Uint8Array;
  readonly content?: Uint8Array;
}

function readNode(b: Uint8Array, at: number, limit: number): { node: Node; end: number } | null {
  let p = at + 1;
  if ((b[at]! & 0x1f) === 0x1f) while (p < limit && b[p++]! & 0x80);
  if (p >= limit) return null;
  const tag = b.subarray(at, p);
  let len = b[p++]!;
  if (len === 0x80) return null;
  if (len > 0x80) {
    const n = len & 0x7f;
    if (n > 4 || p + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  if (p + len > limit) return null;
  const body = b.subarray(p, p + len);
  if ((b[at]! & 0x20) !== 0) {
    const children = readAll(body);
    return children ? { node: { tag, children, der: b.subarray(at, p + len) }, end: p + len } : null;
  }
  // DER inside an OCTET STRING (an extension's value) or a BIT STRING (a key): mutated in place too.
  if (b[at] === 0x04 || (b[at] === 0x03 && body[0] === 0)) {
    const prefix = b[at] === 0x03 ? body.subarray(0, 1) : new Uint8Array(0);
    const inner = body.length > prefix.length ? readAll(body.subarray(prefix.length)) : null;
    if (inner && inner.length === 1) return { node: { tag, prefix, children: inner, der: b.subarray(at, p + len) }, end: p + len };
  }
  return { node: { tag, content: body, der: b.subarray(at, p + len) }, end: p + len };
}

function readAll(b: Uint8Array): Node[] | null {
  const out: Node[] = [];
  for (let p = 0; p < b.length; ) {
    const r = readNode(b, p, b.length);
    if (!r) return null;
    out.push(r.node);
    p = r.end;
  }
  return out;
}

export function derTree(der: Uint8Array): Node {
  const r = readNode(der, 0, der.length);
  if (!r || r.end !== der.length) throw new Error('a fuzz sample must be one DER TLV');
  return r.node;
}

export function encodeTree(n: Node): Uint8Array {
  if (n.der) return n.der;
  const content = n.children ? concat([n.prefix ?? new Uint8Array(0), ...n.children.map(encodeTree)]) : n.content!;
  return concat([n.tag, encodeLength(content.length), content]);
}

/** Every node of the tree, preorder. */
function nodes(n: Node): Node[] {
  return [n, ...(n.children ?? []).flatMap(nodes)];
}

/** The tree with `target` replaced by what `edit` makes of it (nodes are compared by identity). */
function replace(n: Node, target: Node, edit: (n: Node) => Node | Node[]): Node[] {
  if (n === target) {
    const r = edit(n);
    return Array.isArray(r) ? r : [r];
  }
  if (!n.children) return [n];
  return [{ tag: n.tag, prefix: n.prefix, children: n.children.flatMap((c) => replace(c, target, edit)) }];
}

/** `inner` wrapped in `depth` constructed TLVs of `tag`, encoded in one pass (outermost header first). */
function nested(depth: number, inner: Node, tag: number): Node {
  const innerDer = encodeTree(inner);
  const lengths = [innerDer.length];
  for (let i = 1; i <= depth; i++) lengths.push(lengths[i - 1]! + 1 + encodeLength(lengths[i - 1]!).length);
  const out = new Uint8Array(lengths[depth]!);
  let p = 0;
  for (let i = depth - 1; i >= 0; i--) {
    const len = encodeLength(lengths[i]!);
    out[p++] = tag;
    out.set(len, p);
    p += len.length;
  }
  out.set(innerDer, p);
  return { tag: Uint8Array.of(tag), der: out };
}

type Edit = (n: Node) => Node | Node[];

/** Tree-level mutations: the structure stays well-formed DER around the edited node. */
const treeEdit: fc.Arbitrary<Edit> = fc.oneof(
  fc.integer({ min: 0, max: 255 }).map((t): Edit => (n) => ({ tag: Uint8Array.of(t), prefix: n.prefix, children: n.children, content: n.content })),
  fc.uint8Array({ maxLength: 40 }).map((garbage): Edit => (n) => ({ tag: n.tag, content: garbage })),
  fc.constant<Edit>(() => []),
  fc.constant<Edit>((n) => [n, n]),
  fc.tuple(fc.integer({ min: 20, max: 3000 }), fc.constantFrom(0x30, 0x31, 0xa0, 0x24)).map(([d, t]): Edit => (n) => nested(d, n, t)),
);

function fromTree(samples: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const trees = samples.map(derTree);
  const allNodes = trees.map(nodes);
  return fc
    .tuple(fc.integer({ min: 0, max: trees.length - 1 }), fc.nat(), treeEdit)
    .map(([s, i, edit]) => {
      const all = allNodes[s]!;
      const [root] = replace(trees[s]!, all[i % all.length]!, edit);
      return root ? encodeTree(root) : new Uint8Array(0);
    });
}

/** Byte-level mutations: lengths and contents no longer agree. */
function fromBytes(samples: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const sample = fc.integer({ min: 0, max: samples.length - 1 }).map((i) => samples[i]!);
  const flips = fc.tuple(sample, fc.array(fc.nat(), { minLength: 1, maxLength: 8 })).map(([s, bits]) => {
    const out = new Uint8Array(s);
    for (const bit of bits) out[(bit >> 3) % out.length]! ^= 1 << (bit & 7);
    return out;
  });
  const truncated = fc.tuple(sample, fc.nat()).map(([s, n]) => s.slice(0, n % s.length));
  const trailing = fc.tuple(sample, fc.uint8Array({ minLength: 1, maxLength: 16 })).map(([s, t]) => concat([s, t]));
  // A length octet raised: the element claims more than its container holds (or the long form's count grows).
  const inflated = fc.tuple(sample, fc.nat(), fc.integer({ min: 1, max: 0x7f })).map(([s, at, by]) => {
    const out = new Uint8Array(s);
    const i = 1 + (at % (out.length - 1));
    out[i] = Math.min(0xff, out[i]! + by);
    return out;
  });
  const indefinite = fc.tuple(fc.integer({ min: 2, max: 5000 }), fc.constantFrom(0x30, 0x24, 0xa0)).map(([d, t]) =>
    concat([...Array<Uint8Array>(d).fill(Uint8Array.of(t, 0x80))]),
  );
  return fc.oneof(flips, truncated, trailing, inflated, indefinite, fc.uint8Array({ maxLength: 2048 }));
}

/**
 * Variants of the samples (each a valid DER value of what the door takes), all different from them. Nearly all are
 * malformed; a rare one may still be valid (e.g. a dropped NULL of an AlgorithmIdentifier): properties must say what
 * a valid one gets.
 */
export function malformedDer(samples: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  return fc
    .oneof({ arbitrary: fromTree(samples), weight: 3 }, { arbitrary: fromBytes(samples), weight: 3 })
    .filter((b) => !samples.some((s) => bytesEqual(s, b)));
}

export const FUZZ_CASES = Number(process.env.FUZZ_CASES ?? 5000);

/**
 * Runs the property over `cases` inputs; prints the entry point, the case count and the seed; throws fast-check's
 * report (seed, path, shrunk counterexample). With `concurrency` > 1 each fast-check run sends that many inputs at
 * once (a door's database round trips overlap); the error names the failing input of a failing batch.
 */
export async function fuzz<T>(
  entryPoint: string,
  arb: fc.Arbitrary<T>,
  property: (input: T) => Promise<void> | void,
  opts: { cases?: number; concurrency?: number } = {},
): Promise<number> {
  const seed = process.env.FUZZ_SEED !== undefined ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
  const batch = opts.concurrency ?? 1;
  const runs = Math.ceil((opts.cases ?? FUZZ_CASES) / batch);
  const started = Date.now();
  const inputs = fc.array(arb, { minLength: batch, maxLength: batch });
  const details = await fc.check(
    fc.asyncProperty(inputs, async (xs) => {
      await Promise.all(xs.map(async (x) => property(x)));
    }),
    { seed, numRuns: runs },
  );
  const cases = details.failed ? details.numRuns : runs * batch;
  console.log(`[fuzz] ${entryPoint}: ${cases} cases in ${Date.now() - started} ms, seed ${seed}${details.failed ? ' — FAILED' : ''}`);
  if (details.failed) {
    const cause = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance);
    throw new Error(`${entryPoint} (FUZZ_SEED=${seed}): ${cause}\n${fc.defaultReportMessage(details)}`);
  }
  return cases;
}
