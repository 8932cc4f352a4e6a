/**
 * `npm run bench:ocsp [-- --n 1000 --duration 10 --connections 16 --threads 2]`
 *
 * Our OCSP responder (the API's /ocsp/dv: pre-signed responses from the in-memory cache / PostgreSQL) against the
 * baseline `openssl ocsp -index index.txt -port N` (signs every response on the fly), on the SAME certificates
 * (N serials of the DV issuing CA, 10 % revoked), with the SAME load generator: `wrk` (Debian) with a Lua script that
 * POSTs the N OCSPRequests round-robin, same threads/connections/duration, both on 127.0.0.1, one after the other
 * in the same run. Both responders use a delegated responder certificate issued by the DV CA (ours: key in SoftHSM2;
 * openssl's: a software key, as `-rkey` needs a file). Before measuring, each responder's answer is checked with
 * `openssl ocsp` (good and revoked). Services (PostgreSQL, the SoftHSM2 token, the CA hierarchy — no Temporal:
 * the serving path does not use it) live under .data-bench-ocsp/ on their own ports.
 * Prints a JSON report and a Markdown table row for docs/BENCHMARKS.md.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { serve, type ServerType } from '@hono/node-server';
import { repoRoot } from '../config';
import { fakeWorkflows } from '../test/support/fake-workflows';

const { values } = parseArgs({
  options: {
    n: { type: 'string', default: '1000' },
    duration: { type: 'string', default: '10' },
    connections: { type: 'string', default: '16' },
    threads: { type: 'string', default: '2' },
  },
});
const N = Number(values.n);
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const THREADS = Number(values.threads);

Object.assign(process.env, {
  CA_ENV: 'development',
  CA_DATA_DIR: path.join(repoRoot, '.data-bench-ocsp'),
  CA_PG_PORT: '26536',
});

const { loadConfig } = await import('../config');
const { createDb } = await import('../db/client');
const { bringUpCaStore } = await import('./lib/services');
const { openHsm } = await import('../pki/hsm');
const { getIssuer } = await import('../db/repositories/issuers');
const { createOcspActivities } = await import('../activities/ocsp');
const { createApp } = await import('../api/app');
const { startOcspServer } = await import('../api/ocsp-server');
const { buildOcspRequest, buildOcspResponderTbs, certIdIssuerHashes } = await import('../pki/ocsp');
const { certificateFields, randomSerialHex } = await import('../pki/ca-hierarchy');
const { signCertificate } = await import('../pki/certificate');
const { pemEncode } = await import('../pki/pem');
const { seedCertificates } = await import('../test/support/ocsp-fixtures');

const config = loadConfig();
const log = (s: string) => process.stderr.write(`[bench-ocsp] ${s}\n`);

function wrkVersion(): string {
  try {
    execFileSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' });
  } catch {
    // Debian's wrk; installed here when running as root (a fresh machine), otherwise say how.
    if (process.getuid?.() !== 0) throw new Error('wrk is not installed: sudo apt-get install -y wrk');
    log('installing wrk (apt-get)');
    execFileSync('apt-get', ['install', '-y', '-q', 'wrk'], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  }
  try {
    execFileSync('wrk', ['--version'], { stdio: 'pipe' });
  } catch (e) {
    // wrk -v exits 1 but prints its version.
    const out = `${(e as { stdout?: Buffer }).stdout ?? ''}`;
    if (/wrk/.test(out)) return out.split('\n')[0]!.trim();
    throw new Error('wrk is not installed: apt-get install -y wrk');
  }
  return 'wrk';
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

function run(cmd: string, args: readonly string[], timeoutMs = 120_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && !stdout) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr || err.message}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
}

/** openssl index.txt date: YYMMDDHHMMSSZ. */
const indexTime = (d: Date) => d.toISOString().replace(/^\d\d(\d\d)-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d).*$/, '$1$2$3$4$5$6Z');

interface LoadResult {
  requests: number;
  /** Successful (2xx) answers per second. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** Socket errors, timeouts and non-2xx answers. */
  errors: number;
}

const wrkLua = `
local bodies = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = (line:gsub('..', function(cc) return string.char(tonumber(cc, 16)) end))
  end
  i = math.random(#bodies)
end
request = function()
  i = (i % #bodies) + 1
  return wrk.format('POST', nil, { ['Content-Type'] = 'application/ocsp-request' }, bodies[i])
end
done = function(summary, latency, requests)
  io.write(string.format('WRKJSON {"requests":%d,"durationUs":%d,"p50":%d,"p99":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
end
`;

async function wrk(url: string, luaFile: string, requestsFile: string): Promise<LoadResult> {
  const out = await run('wrk', ['-t', String(THREADS), '-c', String(CONNECTIONS), '-d', `${DURATION}s`, '--timeout', '5s', '-s', luaFile, url, '--', requestsFile], (DURATION + 60) * 1000);
  const m = /WRKJSON (\{.*\})/.exec(out);
  if (!m) throw new Error(`wrk printed no result:\n${out}`);
  const j = JSON.parse(m[1]!) as Record<string, number>;
  return {
    requests: j.requests!,
    rps: j.requests! / (j.durationUs! / 1e6),
    p50Ms: j.p50! / 1000,
    p99Ms: j.p99! / 1000,
    errors: j.connect! + j.read! + j.write! + j.status! + j.timeout!,
  };
}

/** autocannon in a child process (scripts/lib/ocsp-load.ts): the same generator for both responders. */
async function autocannon(url: string, requestsFile: string): Promise<LoadResult> {
  const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
  const out = await run(tsx, [path.join(repoRoot, 'scripts', 'lib', 'ocsp-load.ts'), url, requestsFile, String(CONNECTIONS), String(DURATION)], (DURATION + 60) * 1000);
  const line = out.split('\n').find((l) => l.startsWith('{'));
  if (!line) throw new Error(`autocannon printed no result:\n${out}`);
  const j = JSON.parse(line) as { requests: number; seconds: number; ok: number; non2xx: number; errors: number; timeouts: number; p50Ms: number; p99Ms: number };
  return { requests: j.requests, rps: j.ok / j.seconds, p50Ms: j.p50Ms, p99Ms: j.p99Ms, errors: j.errors + j.timeouts + j.non2xx };
}

const work = mkdtempSync(path.join(tmpdir(), 'bench-ocsp-'));
const store = await bringUpCaStore(config, log);
let opensslServer: ChildProcess | undefined;
const stops: Array<() => Promise<void>> = [];
let server: ServerType | undefined;
try {
  const hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: store.hsmPin, sessions: config.hsm.sessions });
  const handle = createDb(store.databaseUrl, { max: 10 });
  try {
    const version = wrkVersion();
    const dv = (await getIssuer(handle.db, 'dv'))!;
    const root = (await getIssuer(handle.db, 'root'))!;
    const { subjectDer, spkiDer } = certificateFields(dv.certDer!);
    const hashes = certIdIssuerHashes(subjectDer, spkiDer, 'sha1');

    // The same certificates for both responders: N DV serials, every tenth revoked (keyCompromise).
    log(`seeding ${N} certificates and pre-signing their responses in SoftHSM2`);
    const revokedAt = new Date(Math.floor(Date.now() / 1000) * 1000 - 3600_000);
    const good = await seedCertificates(handle.db, { count: N - Math.floor(N / 10), status: 'issued' });
    const revoked = await seedCertificates(handle.db, { count: Math.floor(N / 10), status: 'revoked', reason: 1, revokedAt });
    const all = [...good, ...revoked];
    const acts = createOcspActivities({ db: handle.db, signer: hsm, keys: hsm, config, clock: () => new Date() });
    // Baseline for the pre-signing rate: raw SoftHSM2 signatures over the same sessions, in this run.
    const data = new Uint8Array(300).fill(7);
    const h0 = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: config.hsm.sessions }, async () => {
      while (next++ < 1000) await hsm.signSha256Rsa(dv.keyLabel, data);
    }));
    const hsmSignsPerSec = 1000 / ((performance.now() - h0) / 1000);
    await acts.ensureOcspResponder({ issuerId: 'dv' });
    const t0 = performance.now();
    for (let i = 0; i < all.length; i += 200) await acts.signOcspResponses({ serials: all.slice(i, i + 200).map((c) => c.serial) });
    const presignPerSec = all.length / ((performance.now() - t0) / 1000);

    // Files both responders and wrk use.
    const file = (name: string, content: string | Uint8Array) => {
      const f = path.join(work, name);
      writeFileSync(f, content);
      return f;
    };
    const dvPem = file('dv.pem', pemEncode('CERTIFICATE', dv.certDer!));
    const rootPem = file('root.pem', pemEncode('CERTIFICATE', root.certDer!));
    const requestsFile = file('requests.hex', all.map((c) => Buffer.from(buildOcspRequest({ ...hashes, serialHex: c.serial })).toString('hex')).join('\n') + '\n');
    const luaFile = file('post.lua', wrkLua);
    const index = all
      .map((c) => {
        const serial = c.serial.toUpperCase().padStart(c.serial.length + (c.serial.length % 2), '0');
        return c.status === 'revoked'
          ? `R\t${indexTime(c.notAfter)}\t${indexTime(revokedAt)},keyCompromise\t${serial}\tunknown\t/CN=${c.serial}`
          : `V\t${indexTime(c.notAfter)}\t\t${serial}\tunknown\t/CN=${c.serial}`;
      })
      .join('\n');
    const indexFile = file('index.txt', `${index}\n`);
    // openssl's delegated responder: a software key certified by the DV CA (HSM), same CP 7.3 profile as ours.
    const rkey = path.join(work, 'rkey.pem');
    execFileSync('openssl', ['genrsa', '-out', rkey, '2048'], { stdio: 'ignore' });
    const rspki = new Uint8Array(execFileSync('openssl', ['pkey', '-in', rkey, '-pubout', '-outform', 'DER']));
    const rcertDer = await signCertificate(
      buildOcspResponderTbs({
        serialHex: randomSerialHex(),
        issuer: { subjectDer: dv.subjectDer, keyIdentifier: dv.keyIdentifier },
        serverName: 'openssl-baseline.ocsp.example.jp',
        notBefore: new Date(),
        notAfter: new Date(Date.now() + 4 * 86_400_000),
        spkiDer: rspki,
      }),
      hsm,
      dv.keyLabel,
    );
    const rcert = file('rcert.pem', pemEncode('CERTIFICATE', rcertDer));

    // Our responder, twice: the standalone process (api/ocsp-server.ts: node:http, what production runs at the OCSP
    // host) and the route the API mounts (createApp, Hono), each on its own socket in this process (idle meanwhile).
    const ocspServer = await startOcspServer({ ...config, database: { ...config.database, url: store.databaseUrl } }, { port: await freePort(), host: '127.0.0.1' });
    stops.push(() => ocspServer.close());
    const ourUrl = `${ocspServer.url}/ocsp/dv`;
    const app = createApp({
      db: handle.db,
      // The OCSP route never reaches Temporal: every workflow call fails.
      workflows: fakeWorkflows({ fail: 'all' }),
      config,
      clock: () => new Date(),
    });
    const apiPort = await freePort();
    server = await new Promise<ServerType>((resolve) => {
      const s = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: apiPort }, () => resolve(s));
    });
    const apiUrl = `http://127.0.0.1:${apiPort}/ocsp/dv`;

    const opensslPort = await freePort();
    const opensslArgs = ['ocsp', '-index', indexFile, '-port', String(opensslPort), '-rsigner', rcert, '-rkey', rkey, '-CA', dvPem, '-ndays', '2', '-ignore_err'];
    opensslServer = spawn('openssl', opensslArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
    let opensslStderr = '';
    opensslServer.stderr!.on('data', (b: Buffer) => (opensslStderr = (opensslStderr + b.toString()).slice(-4000)));
    const opensslUrl = `http://127.0.0.1:${opensslPort}/`;
    // Wait until it listens (it prints "waiting for OCSP client connections...").
    for (let i = 0; i < 100 && !/waiting for OCSP client/.test(opensslStderr); i++) await new Promise((r) => setTimeout(r, 100));
    log(`openssl responder: ${opensslStderr.trim().split('\n').join(' | ')}`);

    // Both answer correctly before they are measured (and both get their caches warm the same way: not at all for
    // openssl, which signs every response; one pass over the N serials for ours, done by this check for two of them).
    const check = async (url: string, serial: string, expected: RegExp) => {
      const out = await run('openssl', ['ocsp', '-timeout', '10', '-issuer', dvPem, '-serial', `0x${serial}`, '-url', url, '-CAfile', rootPem, '-verify_other', dvPem, '-no_nonce']);
      if (!expected.test(out) || !/Response verify OK/.test(out)) {
        throw new Error(`responder at ${url} answered wrongly for ${serial}:\n${out}\nopenssl responder stderr: ${opensslStderr}`);
      }
    };
    for (const url of [ourUrl, apiUrl, opensslUrl]) {
      await check(url, good[0]!.serial, /: good/);
      await check(url, revoked[0]!.serial, /: revoked/);
    }
    // Steady state: one pass over the N requests first (our caches fill from PostgreSQL; openssl has nothing to warm).
    const bodies = all.map((c) => buildOcspRequest({ ...hashes, serialHex: c.serial }));
    for (const url of [ourUrl, apiUrl]) {
      for (const body of bodies) await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: body as Uint8Array<ArrayBuffer> })).arrayBuffer();
    }

    log(`autocannon, ${CONNECTIONS} connections, ${DURATION} s, POST of ${all.length} requests round-robin`);
    const ours = await autocannon(ourUrl, requestsFile);
    log(`ours, standalone (autocannon): ${ours.rps.toFixed(0)} req/s, p50 ${ours.p50Ms} ms, p99 ${ours.p99Ms} ms, ${ours.errors} errors`);
    const openssl = await autocannon(opensslUrl, requestsFile);
    log(`openssl (autocannon): ${openssl.rps.toFixed(0)} req/s, p50 ${openssl.p50Ms} ms, p99 ${openssl.p99Ms} ms, ${openssl.errors} errors`);
    const oursApi = await autocannon(apiUrl, requestsFile);
    log(`ours, API route (autocannon): ${oursApi.rps.toFixed(0)} req/s, p50 ${oursApi.p50Ms} ms, p99 ${oursApi.p99Ms} ms, ${oursApi.errors} errors`);
    // wrk (C, lighter than autocannon) for our standalone responder alone: it cannot drive `openssl ocsp -port`, whose
    // single-process responder spins forever on wrk's initial probe connection (accepted, then closed empty).
    const oursWrk = await wrk(ourUrl, luaFile, requestsFile);
    log(`ours, standalone (wrk -t ${THREADS}): ${oursWrk.rps.toFixed(0)} req/s, p50 ${oursWrk.p50Ms} ms, p99 ${oursWrk.p99Ms} ms, ${oursWrk.errors} errors`);

    const report = {
      date: new Date().toISOString().slice(0, 10),
      certificates: all.length,
      loadGenerators: { autocannon: `autocannon 8.0.0 (child process), ${CONNECTIONS} connections, ${DURATION} s`, wrk: `${version}, -t ${THREADS} -c ${CONNECTIONS} -d ${DURATION}s` },
      baselineCommand: `openssl ${opensslArgs.join(' ').replaceAll(work, '<tmp>')}`,
      loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
      presignedResponsesPerSecond: Math.round(presignPerSec),
      softhsmSignsPerSecond: Math.round(hsmSignsPerSec),
      ours,
      openssl,
      oursApi,
      oursWrk,
      ratios: {
        throughput: Number((ours.rps / openssl.rps).toFixed(1)),
        apiRouteThroughput: Number((oursApi.rps / openssl.rps).toFixed(1)),
        p99: Number((openssl.p99Ms / ours.p99Ms).toFixed(1)),
      },
      targets: { throughputAtLeast10x: ours.rps >= 10 * openssl.rps, p99AtMost5ms: ours.p99Ms <= 5 },
    };
    console.log(JSON.stringify(report, null, 2));
    const ms = (v: number) => `${v.toFixed(2)} ms`;
    console.log(
      `| ${report.date} | ${all.length} | ${CONNECTIONS} / ${DURATION} s | ${Math.round(ours.rps)} | ${ms(ours.p50Ms)} | ${ms(ours.p99Ms)} | ` +
        `${Math.round(openssl.rps)} | ${ms(openssl.p50Ms)} | ${ms(openssl.p99Ms)} | **${report.ratios.throughput}×** | ` +
        `${Math.round(oursApi.rps)} / ${ms(oursApi.p99Ms)} (${report.ratios.apiRouteThroughput}×) | ` +
        `${Math.round(oursWrk.rps)} / ${ms(oursWrk.p50Ms)} / ${ms(oursWrk.p99Ms)} | ${report.presignedResponsesPerSecond} / ${report.softhsmSignsPerSecond} | ${report.loadAverage[0]} |`,
    );
    await hsm.close();
  } finally {
    await handle.close();
  }
} finally {
  opensslServer?.kill('SIGTERM');
  for (const stop of stops) await stop();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await store.stop();
  rmSync(work, { recursive: true, force: true });
}
