import { describe, expect, it } from 'vitest';
import { createLogger } from '../observability/log';

function captured() {
  const lines: string[] = [];
  const logger = createLogger({ service: 'api' }, { write: (line: string) => lines.push(line) });
  return { logger, text: () => lines.join('') };
}

/** A PEM header and nothing else (no key): joined here so no key-like block is written in the repository. */
const pemArmour = ['-----BEGIN', 'PRIVATE', 'KEY-----'].join(' ');

describe('the doors log no credential, whatever an error drags along', () => {
  it.each([
    ['an Authorization header on an error', { err: Object.assign(new Error('boom'), { headers: { authorization: 'Bearer ca_secret-key' } }) }],
    ['a request object with headers', { req: { headers: { authorization: 'Bearer ca_secret-key' } } }],
    ['an API key member', { account: { apiKey: 'ca_secret-key' } }],
    ['a private key member of a body', { body: { privateKey: `${pemArmour} ca_secret-key` } }],
  ])('%s', (_name, fields) => {
    const { logger, text } = captured();
    logger.error(fields, 'unhandled error');
    expect(text()).toContain('unhandled error');
    expect(text()).not.toContain('ca_secret-key');
  });
});
