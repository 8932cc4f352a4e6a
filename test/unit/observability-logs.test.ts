/**
 * The logger (observability/log.ts), the doors' request observation (observability/http.ts) and the Temporal
 * runtime's log adapter (worker/runtime.ts): JSON events with the context's fields, secrets removed by name, errors
 * as bounded records, no task tokens or object dumps from the SDK.
 */
import { Hono } from 'hono';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CaError } from '../../domain/errors';
import { observeRequests } from '../../observability/http';
import { addLogContext, createLogger, log, redirectLog, serializeError, withLogContext } from '../../observability/log';
import { register } from '../../observability/metrics';
import { temporalLogFields, temporalLogger } from '../../worker/runtime';

/** A logger (or the process log) whose events are collected as parsed objects. */
function capture() {
  const events: Array<Record<string, unknown>> = [];
  const lines: string[] = [];
  const sink = { write: (line: string) => { lines.push(line); events.push(JSON.parse(line) as Record<string, unknown>); } };
  return { events, lines, sink };
}

describe('events', () => {
  it('are JSON objects with level, time, service, message and the fields of the enclosing contexts', () => {
    const c = capture();
    const logger = createLogger({ service: 'worker-main' }, c.sink);
    withLogContext({ workflowId: 'order-1', orderId: '1' }, () => {
      withLogContext({ activity: 'reserveCertificate' }, () => {
        addLogContext({ serial: '4c1d' });
        logger.info({ step: 5 }, 'reserved');
      });
    });
    logger.info('outside');
    expect(c.events[0]).toMatchObject({ level: 'info', service: 'worker-main', msg: 'reserved', workflowId: 'order-1', orderId: '1', serial: '4c1d', activity: 'reserveCertificate', step: 5 });
    expect(typeof c.events[0]!.time).toBe('string');
    expect(c.events[1]).not.toHaveProperty('orderId');
  });

  it('never carry API keys, PINs, EAB keys, authorization headers or task tokens, at the top level or one down', () => {
    const c = capture();
    const logger = createLogger({}, c.sink);
    logger.warn(
      { apiKey: 'KEY-SECRET-1', pin: '987654', hmacKey: 'EAB-SECRET-2', taskToken: 'TOKEN-3', headers: { authorization: 'Bearer KEY-SECRET-4' }, account: { apiKey: 'KEY-SECRET-5', id: 'a1' } },
      'something with secrets',
    );
    expect(c.lines.join('')).not.toMatch(/SECRET|987654|TOKEN-3/);
    expect(c.events[0]).toMatchObject({ msg: 'something with secrets', account: { id: 'a1' } });
  });

  it('render an error as its class, failure kind, message, stack and causes — not its details', () => {
    const err = new CaError('caa', 'CAA forbids issuance', { rule: 'BR 3.2.2.8', records: ['0 issue "other.example"'] });
    const record = serializeError(new Error('activity failed', { cause: err }));
    expect(record).toMatchObject({ type: 'Error', message: 'activity failed', cause: { kind: 'caa', message: 'CAA forbids issuance' } });
    expect(JSON.stringify(record)).not.toContain('other.example');
    expect(serializeError({ some: 'object' })).toEqual({ message: 'non-error thrown (object)' });
  });
});

describe('the Temporal SDK’s events (the runtime logger)', () => {
  const meta = {
    taskToken: 'CiQ0ZjA1ZDBmYS1iZjQ1LTQ3ZTUtOTM1NC0xMmNh',
    workflowId: 'order-0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
    activityType: 'signPrecertificate',
    attempt: 2,
    isLocal: false,
    info: { heartbeatDetails: { big: 'object' } },
    error: new CaError('lintFailed', 'zlint: e_dnsname_not_valid_tld'),
  };

  it('keep scalar fields, drop the task token and objects, name the order and render the error', () => {
    const fields = temporalLogFields(meta);
    expect(fields).toEqual({
      workflowId: meta.workflowId,
      orderId: '0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      activityType: 'signPrecertificate',
      attempt: 2,
      isLocal: false,
      err: meta.error,
    });
  });

  it('go through the CA’s logger at the SDK’s level', () => {
    const c = capture();
    temporalLogger(createLogger({ service: 'worker-signing', level: 'debug' }, c.sink)).warn('Activity failed', meta);
    expect(c.events[0]).toMatchObject({
      level: 'warn',
      service: 'worker-signing',
      msg: 'Activity failed',
      activityType: 'signPrecertificate',
      err: { type: 'CaError', kind: 'lintFailed', message: 'zlint: e_dnsname_not_valid_tld' },
    });
    expect(c.lines.join('')).not.toContain(meta.taskToken);
  });
});

describe('HTTP requests of the doors', () => {
  const c = capture();
  beforeEach(() => {
    c.events.length = 0;
    redirectLog(c.sink);
    log.level = 'info';
  });
  afterEach(() => {
    redirectLog(null);
    log.level = 'warn';
  });
  const app = new Hono();
  app.use('*', observeRequests('api'));
  app.get('/v1/orders/:id', (c) => {
    log.info('inside the handler');
    return c.json({ ok: true });
  });
  app.get('/email-validations/:token', (c) => c.text('confirmed'));
  app.get('/boom', () => {
    throw new Error('a bug');
  });
  app.onError((err, c) => {
    log.error({ err }, 'unhandled API error');
    return c.text('internal', 500);
  });

  it('get a request id (sent back), and every event of the request carries it; the request event names the order', async () => {
    const res = await app.request('/v1/orders/0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d', { headers: { authorization: 'Bearer KEY-SECRET' } });
    const reqId = res.headers.get('x-request-id');
    expect(reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(c.events).toEqual([
      expect.objectContaining({ msg: 'inside the handler', reqId }),
      expect.objectContaining({ msg: 'request', reqId, door: 'api', method: 'GET', route: '/v1/orders/:id', status: 200, orderId: '0b1e2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' }),
    ]);
    expect(JSON.stringify(c.events)).not.toContain('KEY-SECRET');
  });

  it('keep a client’s short request id, and replace anything else', async () => {
    expect((await app.request('/v1/orders/x', { headers: { 'x-request-id': 'lb-1234.abc' } })).headers.get('x-request-id')).toBe('lb-1234.abc');
    expect((await app.request('/v1/orders/x', { headers: { 'x-request-id': 'has spaces; and {braces}' } })).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('are named by their route pattern: the secret token of an e-mail confirmation link (CP 3.2.2.4.4) is not logged', async () => {
    await app.request('/email-validations/SECRET-TOKEN-VALUE');
    expect(c.events[0]).toMatchObject({ route: '/email-validations/:token' });
    expect(JSON.stringify(c.events)).not.toContain('SECRET-TOKEN-VALUE');
  });

  it('that fail log the error with the request id, and are observed in ca_http_request_duration_seconds', async () => {
    const res = await app.request('/boom');
    expect(res.status).toBe(500);
    const reqId = res.headers.get('x-request-id');
    expect(c.events).toEqual([
      expect.objectContaining({ level: 'error', msg: 'unhandled API error', reqId, err: expect.objectContaining({ message: 'a bug' }) }),
      expect.objectContaining({ msg: 'request', reqId, status: 500, route: '/boom' }),
    ]);
    const text = await register.metrics();
    expect(text).toMatch(/ca_http_request_duration_seconds_count\{door="api",method="GET",route="\/boom",status="500"\} 1/);
  });
});
