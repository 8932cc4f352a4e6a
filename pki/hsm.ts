/**
 * PKCS#11 client (pkcs11js) implementing the Signer port over an HSM token: SoftHSM2 in development and tests,
 * a real HSM in production (CP 6.1.1: CA keys are generated and used inside the HSM and never leave it).
 *
 * PKCS#11 facts this file is shaped by (TOOLCHAIN.md, PKCS#11 v2.40 §5):
 * - C_Initialize once per process (a second call gives CKR_CRYPTOKI_ALREADY_INITIALIZED): the module is shared
 *   between Hsm instances and reference-counted; the last close() finalizes it.
 * - Login state belongs to the application, not the session: one C_Login covers every session of the token.
 * - A session runs one operation at a time (CKR_OPERATION_ACTIVE): signing takes a session from a pool.
 * - C_SignAsync runs on the libuv thread pool, so a signature does not block the event loop (activity heartbeats).
 */
import { createHash } from 'node:crypto';
import * as asn1js from 'asn1js';
import pkcs11js from 'pkcs11js';
import * as pkijs from 'pkijs';
import { isPkcs11Error, SessionPool, type Handle } from './hsm-sessions';
import type { Signer } from './signer';

export interface OpenHsmOptions {
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly sessions: number;
}

export interface KeyAttributes {
  readonly token: boolean;
  readonly private: boolean;
  readonly sensitive: boolean;
  readonly extractable: boolean;
  readonly alwaysSensitive: boolean;
  readonly neverExtractable: boolean;
  readonly sign: boolean;
  readonly modulusBits: number;
}

/** What the token and its PKCS#11 library say about themselves (C_GetTokenInfo, C_GetInfo): for key ceremony transcripts. */
export interface HsmTokenInfo {
  readonly label: string;
  readonly manufacturer: string;
  readonly model: string;
  readonly serialNumber: string;
  readonly hardwareVersion: string;
  readonly firmwareVersion: string;
  readonly library: string;
}

export interface Hsm extends Signer {
  /** RSA-2048, e = 65537, private key non-extractable and sensitive (CP 6.1.1, 6.1.5). Refuses an existing label. */
  generateRsaKeyPair(label: string): Promise<void>;
  hasKeyPair(label: string): Promise<boolean>;
  /** Security attributes of the private key `label` as the token reports them (for audits and tests). */
  privateKeyAttributes(label: string): Promise<KeyAttributes>;
  tokenInfo(): HsmTokenInfo;
  close(): Promise<void>;
}

interface LoadedModule {
  readonly lib: pkcs11js.PKCS11;
  refs: number;
}

const modules = new Map<string, LoadedModule>();


function acquireModule(modulePath: string): LoadedModule {
  let m = modules.get(modulePath);
  if (!m) {
    const lib = new pkcs11js.PKCS11();
    lib.load(modulePath);
    try {
      // CKF_OS_LOCKING_OK: sessions are used from libuv worker threads concurrently.
      lib.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (e) {
      // Someone else in this process initialized this module (not through us): usable as is.
      if (!isPkcs11Error(e, pkcs11js.CKR_CRYPTOKI_ALREADY_INITIALIZED)) {
        lib.close();
        throw e;
      }
    }
    m = { lib, refs: 0 };
    modules.set(modulePath, m);
  }
  m.refs++;
  return m;
}

function releaseModule(modulePath: string): void {
  const m = modules.get(modulePath);
  if (!m) return;
  m.refs--;
  if (m.refs > 0) return;
  modules.delete(modulePath);
  try {
    m.lib.C_Finalize();
  } finally {
    m.lib.close();
  }
}

function trimLabel(s: string): string {
  return s.replace(/[\s\0]+$/, '');
}

/** Unsigned big-endian bytes -> DER INTEGER (minimal, positive). */
function positiveInteger(bytes: Uint8Array): asn1js.Integer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  let v = bytes.subarray(i);
  if (v[0]! & 0x80) v = Uint8Array.from([0, ...v]);
  return new asn1js.Integer({ valueHex: v.slice() });
}

/** DER SubjectPublicKeyInfo of an RSA key (RFC 3279 2.3.1: rsaEncryption with NULL parameters). */
export function rsaSpkiDer(modulus: Uint8Array, exponent: Uint8Array): Uint8Array {
  const rsaPublicKey = new asn1js.Sequence({ value: [positiveInteger(modulus), positiveInteger(exponent)] });
  const spki = new pkijs.PublicKeyInfo();
  spki.algorithm = new pkijs.AlgorithmIdentifier({ algorithmId: '1.2.840.113549.1.1.1', algorithmParams: new asn1js.Null() });
  spki.subjectPublicKey = new asn1js.BitString({ valueHex: rsaPublicKey.toBER(false) });
  return new Uint8Array(spki.toSchema().toBER(false));
}

/** CKA_ID from the label: a stable 20-byte id, so other PKCS#11 tools (pkcs11-tool, OpenSSL engines) pair the keys. */
function keyId(label: string): Buffer {
  return createHash('sha1').update(label, 'utf8').digest();
}

function slotOf(lib: pkcs11js.PKCS11, tokenLabel: string): Handle | undefined {
  return lib.C_GetSlotList(true).find((s) => trimLabel(lib.C_GetTokenInfo(s).label) === tokenLabel);
}

export async function openHsm(opts: OpenHsmOptions): Promise<Hsm> {
  if (!Number.isInteger(opts.sessions) || opts.sessions < 1) throw new Error('sessions must be a positive integer');
  const module = acquireModule(opts.modulePath);
  const { lib } = module;
  const opened: Handle[] = [];
  try {
    const slot = slotOf(lib, opts.tokenLabel);
    if (!slot) throw new Error(`no PKCS#11 token labelled "${opts.tokenLabel}" in ${opts.modulePath} (SOFTHSM2_CONF=${process.env.SOFTHSM2_CONF ?? 'unset'})`);
    const open = (): Handle => {
      const session = lib.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
      try {
        lib.C_Login(session, pkcs11js.CKU_USER, opts.pin);
      } catch (e) {
        // Login is per application: an open session (ours or another Hsm instance's) already logged in.
        if (!isPkcs11Error(e, pkcs11js.CKR_USER_ALREADY_LOGGED_IN)) {
          lib.C_CloseSession(session);
          throw e;
        }
      }
      return session;
    };
    for (let i = 0; i < opts.sessions; i++) opened.push(open());
    const hsm: Pkcs11Hsm = new Pkcs11Hsm(lib, opts.modulePath, new SessionPool(opened, open, () => hsm.forgetHandles()), slot);
    return hsm;
  } catch (e) {
    for (const s of opened) {
      try {
        lib.C_CloseSession(s);
      } catch {
        /* closing is best effort on a failed open */
      }
    }
    releaseModule(opts.modulePath);
    throw e;
  }
}

interface KeyHandles {
  readonly privateKey: Handle;
  readonly publicKey: Handle;
}

class Pkcs11Hsm implements Hsm {
  private readonly handles = new Map<string, KeyHandles>();
  private readonly spkis = new Map<string, Uint8Array>();
  private closed = false;

  constructor(
    private readonly lib: pkcs11js.PKCS11,
    private readonly modulePath: string,
    private readonly pool: SessionPool,
    private readonly slot: Handle,
  ) {}

  tokenInfo(): HsmTokenInfo {
    this.assertOpen();
    const t = this.lib.C_GetTokenInfo(this.slot);
    const m = this.lib.C_GetInfo();
    const v = (x: { major: number; minor: number }) => `${x.major}.${x.minor}`;
    return {
      label: trimLabel(t.label),
      manufacturer: trimLabel(t.manufacturerID),
      model: trimLabel(t.model),
      serialNumber: trimLabel(t.serialNumber),
      hardwareVersion: v(t.hardwareVersion),
      firmwareVersion: v(t.firmwareVersion),
      library: `${trimLabel(m.libraryDescription)} ${v(m.libraryVersion)} (${trimLabel(m.manufacturerID)}, Cryptoki ${v(m.cryptokiVersion)})`,
    };
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('HSM connection is closed');
  }

  /** The token lost our sessions: the object handles found through them are gone too. */
  forgetHandles(): void {
    this.handles.clear();
  }

  private findOne(session: Handle, objectClass: number, label: string): Handle | null {
    this.lib.C_FindObjectsInit(session, [
      { type: pkcs11js.CKA_CLASS, value: objectClass },
      { type: pkcs11js.CKA_LABEL, value: label },
    ]);
    try {
      const found = this.lib.C_FindObjects(session, 2);
      if (found.length > 1) throw new Error(`more than one key object labelled "${label}" on the token`);
      return found[0] ?? null;
    } finally {
      this.lib.C_FindObjectsFinal(session);
    }
  }

  /** The key pair's handles, cached, else found through session `s`. */
  private keyHandlesIn(s: Handle, label: string): KeyHandles | null {
    const cached = this.handles.get(label);
    if (cached) return cached;
    const privateKey = this.findOne(s, pkcs11js.CKO_PRIVATE_KEY, label);
    const publicKey = this.findOne(s, pkcs11js.CKO_PUBLIC_KEY, label);
    if (!privateKey || !publicKey) return null;
    const h = { privateKey, publicKey };
    this.handles.set(label, h);
    return h;
  }

  private async keyHandles(label: string): Promise<KeyHandles | null> {
    return this.handles.get(label) ?? this.pool.use((s) => this.keyHandlesIn(s, label));
  }

  private requireKeyIn(s: Handle, label: string): KeyHandles {
    const h = this.keyHandlesIn(s, label);
    if (!h) throw new Error(`no key pair labelled "${label}" on the HSM token`);
    return h;
  }

  async hasKeyPair(label: string): Promise<boolean> {
    this.assertOpen();
    return (await this.keyHandles(label)) !== null;
  }

  async generateRsaKeyPair(label: string): Promise<void> {
    this.assertOpen();
    if (await this.hasKeyPair(label)) throw new Error(`a key pair labelled "${label}" already exists on the HSM token`);
    // Both halves: an RSA token object, paired by label and CKA_ID.
    const half = (objectClass: number, isPrivate: boolean): pkcs11js.Template => [
      { type: pkcs11js.CKA_CLASS, value: objectClass },
      { type: pkcs11js.CKA_KEY_TYPE, value: pkcs11js.CKK_RSA },
      { type: pkcs11js.CKA_TOKEN, value: true },
      { type: pkcs11js.CKA_PRIVATE, value: isPrivate },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_ID, value: keyId(label) },
    ];
    const keys = await this.pool.use((s) =>
      this.lib.C_GenerateKeyPairAsync(
        s,
        { mechanism: pkcs11js.CKM_RSA_PKCS_KEY_PAIR_GEN },
        [
          ...half(pkcs11js.CKO_PUBLIC_KEY, false),
          { type: pkcs11js.CKA_VERIFY, value: true },
          { type: pkcs11js.CKA_ENCRYPT, value: false },
          { type: pkcs11js.CKA_WRAP, value: false },
          // CP 6.1.5: RSA 2048; BR 6.1.6: exponent 65537.
          { type: pkcs11js.CKA_MODULUS_BITS, value: 2048 },
          { type: pkcs11js.CKA_PUBLIC_EXPONENT, value: Buffer.from([0x01, 0x00, 0x01]) },
        ],
        [
          ...half(pkcs11js.CKO_PRIVATE_KEY, true),
          // CP 6.1.1/6.2: the CA private key never leaves the HSM in plaintext nor wrapped.
          { type: pkcs11js.CKA_SENSITIVE, value: true },
          { type: pkcs11js.CKA_EXTRACTABLE, value: false },
          { type: pkcs11js.CKA_SIGN, value: true },
          { type: pkcs11js.CKA_DECRYPT, value: false },
          { type: pkcs11js.CKA_UNWRAP, value: false },
        ],
      ),
    );
    this.handles.set(label, keys);
  }

  async privateKeyAttributes(label: string): Promise<KeyAttributes> {
    this.assertOpen();
    return this.pool.use((s) => {
      const { privateKey, publicKey } = this.requireKeyIn(s, label);
      const types = [
        pkcs11js.CKA_TOKEN,
        pkcs11js.CKA_PRIVATE,
        pkcs11js.CKA_SENSITIVE,
        pkcs11js.CKA_EXTRACTABLE,
        pkcs11js.CKA_ALWAYS_SENSITIVE,
        pkcs11js.CKA_NEVER_EXTRACTABLE,
        pkcs11js.CKA_SIGN,
      ];
      const attrs = this.lib.C_GetAttributeValue(s, privateKey, types.map((type) => ({ type })));
      const flag = (t: number) => {
        const v = attrs.find((a) => a.type === t)?.value;
        return Buffer.isBuffer(v) ? v.length > 0 && v[0] !== 0 : Boolean(v);
      };
      const [bitsAttr] = this.lib.C_GetAttributeValue(s, publicKey, [{ type: pkcs11js.CKA_MODULUS_BITS }]);
      const bits = bitsAttr?.value;
      return {
        token: flag(pkcs11js.CKA_TOKEN),
        private: flag(pkcs11js.CKA_PRIVATE),
        sensitive: flag(pkcs11js.CKA_SENSITIVE),
        extractable: flag(pkcs11js.CKA_EXTRACTABLE),
        alwaysSensitive: flag(pkcs11js.CKA_ALWAYS_SENSITIVE),
        neverExtractable: flag(pkcs11js.CKA_NEVER_EXTRACTABLE),
        sign: flag(pkcs11js.CKA_SIGN),
        // CK_ULONG in host byte order.
        modulusBits: Buffer.isBuffer(bits) ? Number(bits.length >= 8 ? bits.readBigUInt64LE(0) : bits.readUInt32LE(0)) : Number(bits),
      };
    });
  }

  async publicKeySpki(label: string): Promise<Uint8Array> {
    this.assertOpen();
    const cached = this.spkis.get(label);
    if (cached) return cached;
    const spki = await this.pool.use((s) => {
      const { publicKey } = this.requireKeyIn(s, label);
      const attrs = this.lib.C_GetAttributeValue(s, publicKey, [{ type: pkcs11js.CKA_MODULUS }, { type: pkcs11js.CKA_PUBLIC_EXPONENT }]);
      const modulus = attrs.find((a) => a.type === pkcs11js.CKA_MODULUS)?.value;
      const exponent = attrs.find((a) => a.type === pkcs11js.CKA_PUBLIC_EXPONENT)?.value;
      if (!Buffer.isBuffer(modulus) || !Buffer.isBuffer(exponent)) throw new Error(`key "${label}" is not an RSA key`);
      return rsaSpkiDer(modulus, exponent);
    });
    this.spkis.set(label, spki);
    return spki;
  }

  async signSha256Rsa(label: string, data: Uint8Array): Promise<Uint8Array> {
    this.assertOpen();
    return this.pool.use(async (s) => {
      const { privateKey } = this.requireKeyIn(s, label);
      // CKM_SHA256_RSA_PKCS hashes inside the token: RSASSA-PKCS1-v1_5 with SHA-256 = sha256WithRSAEncryption.
      this.lib.C_SignInit(s, { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }, privateKey);
      const out = await this.lib.C_SignAsync(s, Buffer.from(data.buffer, data.byteOffset, data.byteLength), Buffer.alloc(512));
      return new Uint8Array(out);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.drain();
    for (const s of this.pool.all) {
      try {
        this.lib.C_CloseSession(s);
      } catch {
        /* a session the token already dropped */
      }
    }
    releaseModule(this.modulePath);
  }
}
