/**
 * The OCSP benchmark's load generator (scripts/bench-ocsp.ts runs it as a child process, so it never shares an event
 * loop with the responder under test): autocannon POSTing the DER OCSPRequests of a hex file (one per line)
 * round-robin over `connections` keep-alive connections (a responder that closes the connection after each answer,
 * like `openssl ocsp -port`, gets a new one), for `duration` seconds. Prints one JSON line.
 * Usage: tsx scripts/lib/ocsp-load.ts <url> <requests.hex> <connections> <duration>
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';

const [url, file, connections, duration] = process.argv.slice(2);
if (!url || !file) throw new Error('usage: ocsp-load.ts <url> <requests.hex> <connections> <duration>');
const bodies = readFileSync(file, 'utf8').split('\n').filter(Boolean).map((hex) => Buffer.from(hex, 'hex'));
const result = await autocannon({
  url,
  connections: Number(connections ?? 16),
  duration: Number(duration ?? 10),
  method: 'POST',
  headers: { 'content-type': 'application/ocsp-request' },
  requests: bodies.map((body) => ({ body })),
  timeout: 10,
});
console.log(
  JSON.stringify({
    requests: result.requests.total,
    seconds: result.duration,
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
  }),
);
