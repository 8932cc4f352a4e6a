/**
 * Accounts (RFC 8555 §7.3): newAccount with external account binding (§7.3.4), read/update/deactivate (§7.3.2,
 * §7.3.6), the account's orders (§7.1.2.1) and key rollover (§7.3.5).
 */
import { Hono } from 'hono';
import { base64url, decodeProtectedHeader, flattenedVerify, importJWK, type JWK } from 'jose';
import { changeAcmeAccountKey, createAcmeAccount, findAcmeAccountByThumbprint, listAcmeOrderIds, updateAcmeAccount } from '../../db/repositories/acme';
import { usableEabHmacKey } from '../../db/repositories/acme-eab';
import { CaError } from '../../domain/errors';
import { currentDocumentVersions, type DocumentVersions } from '../../domain/repository-documents';
import { allowedAlgorithms, checkAccountJwk, jsonPayload, jwkThumbprint, parseFlattenedJws, verifyExternalAccountBinding } from './jws';
import { presentAccount } from './presenters';
import { requireAccount, type AcmeEnv, type AcmeKit } from './requests';

/** The versions of the terms, CP and CPS in force at `now` (CP 4.1.2), or null while one has none in force. */
function agreedDocuments(now: Date): DocumentVersions | null {
  const current = currentDocumentVersions(now);
  return current.terms && current.cp && current.cps ? { terms: current.terms, cp: current.cp, cps: current.cps } : null;
}

export function accountsApp({ deps, urls, verified, reply }: AcmeKit) {
  const app = new Hono<AcmeEnv>();

  app.post('/new-account', async (c) => {
    const v = await verified(c, 'jwk');
    const p = jsonPayload(v.payloadText);
    const thumbprint = await jwkThumbprint(v.jwk);
    const existing = await findAcmeAccountByThumbprint(deps.db, thumbprint);
    if (existing) {
      if (existing.status !== 'valid') throw new CaError('unauthorized', `the account of this key is ${existing.status} (RFC 8555 §7.3.6)`);
      c.header('Location', urls.account(existing.id));
      return reply(c, presentAccount(urls, existing), 200);
    }
    if (p.onlyReturnExisting === true) throw new CaError('accountDoesNotExist', 'no account exists with this key (RFC 8555 §7.3.1)');
    const contact = checkContact(p.contact);
    const terms = deps.config.acme.termsOfService;
    if (terms && p.termsOfServiceAgreed !== true) {
      throw new CaError('userActionRequired', `agree to the terms of service (${terms}) with termsOfServiceAgreed: true`, { instance: terms });
    }
    let eabKeyId: string | null = null;
    if (p.externalAccountBinding !== undefined) {
      eabKeyId = (
        await verifyExternalAccountBinding(p.externalAccountBinding, {
          outerJwk: v.jwk,
          newAccountUrl: urls.newAccount,
          lookupKey: (keyId) => usableEabHmacKey(deps.db, keyId, deps.eabEncryptionKey),
        })
      ).keyId;
    } else if (deps.config.acme.eabRequired) {
      throw new CaError('externalAccountRequired', 'this server requires external account binding (RFC 8555 §7.3.4); ask the CA for a key id and HMAC key');
    }
    const { account, created } = await createAcmeAccount(deps.db, {
      jwk: publicJwk(v.jwk),
      thumbprint,
      contact,
      termsAgreedAt: deps.clock(),
      // CP 4.1.2: the terms agreed to incorporate the CP and the CPS; the versions in force are recorded with it.
      acceptedDocuments: agreedDocuments(deps.clock()),
      eabKeyId,
      now: deps.clock(),
    });
    c.header('Location', urls.account(account.id));
    return reply(c, presentAccount(urls, account), created ? 201 : 200);
  });

  app.post('/acct/:id', async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    if (account.id !== c.req.param('id')) throw new CaError('unauthorized', 'the kid is not this account (RFC 8555 §7.3.2)');
    if (v.payloadText === '') {
      c.header('Location', urls.account(account.id));
      return reply(c, presentAccount(urls, account));
    }
    const p = jsonPayload(v.payloadText);
    if (p.status !== undefined && p.status !== 'deactivated') throw new CaError('malformed', 'the only status a client may set is "deactivated" (RFC 8555 §7.3.6)');
    const contact = p.contact !== undefined ? checkContact(p.contact) : undefined;
    // RFC 8555 §7.3.3: agreeing again to the terms in force (asked for by a userActionRequired on newOrder).
    const documents = p.termsOfServiceAgreed === true ? agreedDocuments(deps.clock()) : null;
    const agreed = documents ? { at: deps.clock(), documents } : undefined;
    const updated =
      contact !== undefined || p.status === 'deactivated' || agreed
        ? await updateAcmeAccount(deps.db, account.id, {
            ...(contact !== undefined ? { contact } : {}),
            ...(p.status === 'deactivated' ? { status: 'deactivated' as const } : {}),
            ...(agreed ? { agreed } : {}),
          })
        : account;
    c.header('Location', urls.account(account.id));
    return reply(c, presentAccount(urls, updated));
  });

  app.post('/acct/:id/orders', async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    if (account.id !== c.req.param('id')) throw new CaError('unauthorized', 'the kid is not this account');
    const ids = await listAcmeOrderIds(deps.db, account.id);
    return reply(c, { orders: ids.map(urls.order) });
  });

  app.post('/key-change', async (c) => {
    const v = await verified(c, 'kid');
    const account = requireAccount(v);
    const { jwk: newJwk, payload: p } = await verifyKeyChangeInner(v.payloadText, urls.keyChange);
    if (p.account !== urls.account(account.id)) throw new CaError('unauthorized', 'keyChange: the inner account is not the signer of the outer JWS');
    const oldThumb = await jwkThumbprint(p.oldKey as JWK).catch(() => null);
    if (oldThumb !== account.jwkThumbprint) throw new CaError('unauthorized', 'keyChange: oldKey is not the current account key');
    const newThumb = await jwkThumbprint(newJwk);
    try {
      const updated = await changeAcmeAccountKey(deps.db, account.id, { oldThumbprint: oldThumb, jwk: publicJwk(newJwk), thumbprint: newThumb });
      c.header('Location', urls.account(account.id));
      return reply(c, presentAccount(urls, updated));
    } catch (e) {
      // §7.3.5: a key already bound to another account is a 409 naming that account in Location.
      if (e instanceof CaError && e.kind === 'conflict' && typeof e.details.existingAccountId === 'string') {
        throw new CaError('conflict', 'keyChange: the new key is already in use by another account', { location: urls.account(e.details.existingAccountId) });
      }
      throw e;
    }
  });

  return app;
}

/**
 * RFC 8555 §7.3.5: the keyChange payload is itself a JWS, signed by the NEW key (carried as `jwk`), with the keyChange
 * URL, no nonce, and a payload naming the account and the OLD key.
 */
async function verifyKeyChangeInner(payloadText: string, keyChangeUrl: string): Promise<{ jwk: JWK; payload: Record<string, unknown> }> {
  const inner = parseFlattenedJws(payloadText);
  let h: ReturnType<typeof decodeProtectedHeader>;
  try {
    h = decodeProtectedHeader(inner);
  } catch {
    throw new CaError('malformed', 'keyChange: the inner JWS header is not JSON');
  }
  if (typeof h.alg !== 'string' || !(allowedAlgorithms as readonly string[]).includes(h.alg)) {
    throw new CaError('badSignatureAlgorithm', `keyChange: algorithm ${String(h.alg)} is not accepted`, { algorithms: [...allowedAlgorithms] });
  }
  if (h.url !== keyChangeUrl) throw new CaError('malformed', 'keyChange: the inner url must be the keyChange URL (RFC 8555 §7.3.5)');
  if (h.nonce !== undefined) throw new CaError('malformed', 'keyChange: the inner JWS must not carry a nonce (RFC 8555 §7.3.5)');
  if (h.kid !== undefined || h.jwk === undefined) throw new CaError('malformed', 'keyChange: the inner JWS must carry the new key as jwk (RFC 8555 §7.3.5)');
  const jwk = await checkAccountJwk(h.jwk, h.alg);
  try {
    await flattenedVerify(inner, await importJWK(jwk, h.alg), { algorithms: [h.alg] });
  } catch {
    throw new CaError('malformed', 'keyChange: the inner JWS signature does not verify with the new key');
  }
  try {
    return { jwk, payload: jsonPayload(new TextDecoder().decode(base64url.decode(inner.payload))) };
  } catch {
    throw new CaError('malformed', 'keyChange: the inner payload is not a JSON object');
  }
}

/** RFC 8555 §7.3: contact URLs; this CA accepts mailto: with one address and no header fields. */
function checkContact(raw: unknown): string[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) throw new CaError('malformed', 'contact must be an array of URLs');
  if (raw.length > 10) throw new CaError('malformed', 'at most 10 contact URLs');
  return raw.map((c) => {
    if (typeof c !== 'string') throw new CaError('malformed', 'a contact is a URL string');
    if (!c.startsWith('mailto:')) throw new CaError('unsupportedContact', `only mailto: contacts are supported, not ${c.split(':')[0]}:`);
    const addr = c.slice('mailto:'.length);
    if (addr.includes('?') || addr.includes(',') || !/^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$/.test(addr)) {
      throw new CaError('invalidContact', `${c} is not a single e-mail address without header fields`);
    }
    return c;
  });
}

/** The public members of a JWK as stored (RFC 7638 §3.2 order is irrelevant here; thumbprints are computed anew). */
function publicJwk(jwk: JWK): Record<string, unknown> {
  const keep = ['kty', 'crv', 'x', 'y', 'n', 'e'];
  return Object.fromEntries(Object.entries(jwk).filter(([k]) => keep.includes(k)));
}
