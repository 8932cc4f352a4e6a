/**
 * `npm run bench:crl [-- --sizes 100000,1000000 --runs 3]`: time and peak memory to generate and sign a full CRL
 * with N revoked entries — our path (PostgreSQL → pki/crl.ts encoder → SoftHSM2 signature over PKCS#11) against
 * `openssl ca -gencrl` over the same entries (its index.txt, a file key), in the same run on the same machine.
 *
 * Each measurement runs in a child process under `/usr/bin/time -f "%e %M"` so that peak RSS is the whole
 * process's, for both tools. Services (PostgreSQL, SoftHSM2 token, CA hierarchy; no Temporal) live under
 * .data-bench-crl/ on their own port; the seeded rows are kept between runs. Results: JSON on stdout; the figures
 * and the command are recorded in docs/BENCHMARKS.md.
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '../config';

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '100000,1000000' },
    runs: { type: 'string', default: '3' },
    child: { type: 'string' },
  },
});

Object.assign(process.env, {
  CA_ENV: 'development',
  CA_DATA_DIR: path.join(repoRoot, '.data-bench-crl'),
  CA_PG_PORT: process.env.CA_PG_PORT ?? '26433',
});
const { loadConfig } = await import('../config');
const config = loadConfig();
const dir = path.join(config.dataDir, 'bench');
const sizes = values.sizes!.split(',').map(Number);
const runs = Number(values.runs);
/** One issuer per size, so each CRL holds exactly N entries: the bench issuers are copies of the dv CA. */
const issuerFor = (n: number) => `bench-${n}`;

if (values.child) {
  // Child: one CRL of issuer `values.child`, phases timed; stdout = JSON.
  const { createDb } = await import('../db/client');
  const { openHsm } = await import('../pki/hsm');
  const { readHsmPin } = await import('../pki/hsm-pin');
  const { getIssuer } = await import('../db/repositories/issuers');
  const { crlEntries } = await import('../db/repositories/revocation');
  const { encodeTbsCertList, assembleCrl } = await import('../pki/crl');
  const { generateCrl } = await import('../activities/crl');
  process.env.SOFTHSM2_CONF = config.hsm.softhsmConf;
  const handle = createDb(process.env.DATABASE_URL!, { max: 2 });
  const hsm = await openHsm({ modulePath: config.hsm.modulePath, tokenLabel: config.hsm.tokenLabel, pin: readHsmPin(config.hsm), sessions: 1 });
  try {
    const issuerId = values.child;
    const mode = process.env.BENCH_MODE ?? 'phases';
    if (mode === 'store') {
      // The whole activity: lock, number, read, encode, sign, store (the 50 MB bytea insert included).
      const t0 = performance.now();
      const r = await generateCrl({ db: handle.db, signer: hsm, config, clock: () => new Date() }, { issuerId, trigger: 'bench' });
      console.log(JSON.stringify({ totalWithStoreMs: performance.now() - t0, entries: r.entryCount }));
    } else {
      const issuer = (await getIssuer(handle.db, issuerId))!;
      const t0 = performance.now();
      const entries = await crlEntries(handle.db, issuerId, null);
      const t1 = performance.now();
      const now = new Date();
      const tbs = encodeTbsCertList({
        issuerDer: issuer.subjectDer,
        keyIdentifier: issuer.keyIdentifier,
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + 7 * 86_400_000),
        crlNumber: 1n,
        entries,
      });
      const t2 = performance.now();
      const signature = await hsm.signSha256Rsa(issuer.keyLabel, tbs);
      const der = assembleCrl(tbs, signature);
      const t3 = performance.now();
      writeFileSync(path.join(dir, `${issuerId}.ours.crl`), der);
      console.log(JSON.stringify({ entries: entries.count, readMs: t1 - t0, encodeMs: t2 - t1, signMs: t3 - t2, totalMs: t3 - t0, bytes: der.length }));
    }
  } finally {
    await hsm.close();
    await handle.close();
  }
  process.exit(0);
}

const { bringUpCaStore } = await import('./lib/services');
const { createDb } = await import('../db/client');
const { getIssuer, upsertIssuer } = await import('../db/repositories/issuers');
const { sql } = await import('drizzle-orm');

const log = (s: string) => process.stderr.write(`[bench:crl] ${s}\n`);
mkdirSync(dir, { recursive: true });
const store = await bringUpCaStore(config, log);
process.env.DATABASE_URL = store.databaseUrl;
// The seeding deletes earlier benchmark rows, which only the owner role may (docs/SECURITY.md).
const handle = createDb(store.databaseOwnerUrl, { max: 2 });
try {
  const dv = (await getIssuer(handle.db, 'dv'))!;

  // Seed: per size, an issuer (the dv CA's key and subject) with exactly N revoked, unexpired certificates, reasons
  // cycling through the ones openssl's index.txt can express (0, 1, 3, 4, 5).
  for (const n of sizes) {
    const issuerId = issuerFor(n);
    await upsertIssuer(handle.db, { ...dv, id: issuerId }, { actor: 'bench' });
    const [{ count }] = (await handle.db.execute(sql`select count(*)::int as count from certificates where issuer_id = ${issuerId}`)) as unknown as [{ count: number }];
    if (count === n) continue;
    log(`seeding ${n} revoked certificates for ${issuerId} (kept for later runs)`);
    await handle.db.execute(sql`delete from certificates where issuer_id = ${issuerId}`);
    await handle.db.execute(sql`delete from orders where workflow_id like ${`bench-${n}-%`}`);
    const [{ id: accountId }] = (await handle.db.execute(
      sql`insert into accounts (name, api_key_sha256) values (${`bench ${n}`}, sha256(${`bench-${n}-${Date.now()}`}::bytea)) returning id`,
    )) as unknown as [{ id: string }];
    for (let off = 0; off < n; off += 100_000) {
      const m = Math.min(100_000, n - off);
      await handle.db.execute(sql`
        with o as (
          insert into orders (account_id, profile, status, csr_der, spki_sha256, dns_names, validity_seconds, workflow_id, expires_at)
          select ${accountId}::uuid, 'dv', 'valid', '\\x3000'::bytea, sha256(('k' || i)::bytea), '["bench.example.jp"]'::jsonb, 17193600,
                 ${`bench-${n}-`} || i, now() + interval '7 days'
            from generate_series(${off + 1}::int, ${off + m}::int) i
          returning id, spki_sha256, workflow_id
        )
        insert into certificates (serial, order_id, account_id, issuer_id, spki_sha256, dns_names, status, not_before, not_after,
                                  revoked_at, revocation_reason)
        select '4' || substr(encode(sha256((${issuerId} || o.workflow_id)::bytea), 'hex'), 1, 35), o.id, ${accountId}::uuid, ${issuerId},
               o.spki_sha256, '["bench.example.jp"]'::jsonb, 'revoked', now() - interval '1 day', now() + interval '100 days',
               now() - (random() * interval '30 days'), (array[0, 1, 3, 4, 5])[1 + (abs(hashtext(o.workflow_id)) % 5)]
          from o`);
    }
  }

  // OpenSSL's CA: the same entries in its index.txt ("R", expiry, "revdate[,reason]", serial, file, subject), a file key.
  const reasonNames: Record<number, string> = { 1: 'keyCompromise', 3: 'affiliationChanged', 4: 'superseded', 5: 'cessationOfOperation' };
  const ossl = (args: string[]) => spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (!existsSync(path.join(dir, 'ca.key'))) {
    ossl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-subj', '/CN=bench openssl CA', '-days', '3650', '-out', 'ca.pem']);
  }
  const utc = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(2, 14) + 'Z';
  for (const n of sizes) {
    const issuerId = issuerFor(n);
    const index = path.join(dir, `index-${n}.txt`);
    if (!existsSync(index)) {
      log(`writing ${index}`);
      const out = createWriteStream(index);
      let last = '';
      for (;;) {
        const rows = (await handle.db.execute(sql`
          select serial, not_after, revoked_at, coalesce(revocation_reason, 0) as reason from certificates
           where issuer_id = ${issuerId} and serial > ${last} order by serial limit 50000`)) as unknown as Array<{ serial: string; not_after: string; revoked_at: string; reason: number }>;
        if (rows.length === 0) break;
        for (const r of rows) {
          const reason = reasonNames[r.reason];
          out.write(`R\t${utc(new Date(r.not_after))}\t${utc(new Date(r.revoked_at))}${reason ? `,${reason}` : ''}\t${r.serial.toUpperCase()}\tunknown\t/CN=bench.example.jp\n`);
        }
        last = rows[rows.length - 1]!.serial;
      }
      await new Promise<void>((resolve) => out.end(resolve));
      writeFileSync(`${index}.attr`, 'unique_subject = no\n');
    }
    writeFileSync(
      path.join(dir, `ca-${n}.cnf`),
      `[ ca ]\ndefault_ca = b\n[ b ]\ndatabase = ${index}\ncrlnumber = ${path.join(dir, `crlnumber-${n}`)}\ncertificate = ${path.join(dir, 'ca.pem')}\n` +
        `private_key = ${path.join(dir, 'ca.key')}\ndefault_md = sha256\ndefault_crl_days = 7\ncrl_extensions = ext\n[ ext ]\nauthorityKeyIdentifier = keyid:always\n`,
    );
  }

  const timed = (cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env) => {
    const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', cmd, ...args], { cwd: repoRoot, env, encoding: 'utf8', maxBuffer: 1 << 26 });
    const m = /TIME ([\d.]+) (\d+)/.exec(r.stderr);
    if (r.status !== 0 || !m) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr.slice(-2000)}`);
    return { seconds: Number(m[1]), peakMb: Math.round(Number(m[2]) / 1024), stdout: r.stdout };
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');

  const results = [];
  for (const n of sizes) {
    const ours: Array<{ seconds: number; peakMb: number; phases: Record<string, number> }> = [];
    const withStore: number[] = [];
    const openssl: Array<{ seconds: number; peakMb: number }> = [];
    for (let i = 0; i < runs; i++) {
      const o = timed(tsx, ['scripts/bench-crl.ts', '--child', issuerFor(n)]);
      ours.push({ seconds: o.seconds, peakMb: o.peakMb, phases: JSON.parse(o.stdout.trim().split('\n').pop()!) });
      writeFileSync(path.join(dir, `crlnumber-${n}`), '01\n');
      openssl.push(timed('openssl', ['ca', '-gencrl', '-config', path.join(dir, `ca-${n}.cnf`), '-out', path.join(dir, `openssl-${n}.crl`)]));
      const s = timed(tsx, ['scripts/bench-crl.ts', '--child', issuerFor(n)], { ...process.env, BENCH_MODE: 'store' });
      withStore.push(JSON.parse(s.stdout.trim().split('\n').pop()!).totalWithStoreMs);
    }
    // Both CRLs must list the same N entries (openssl and our reader), or the comparison means nothing.
    const count = (file: string, form: string) =>
      (spawnSync('sh', ['-c', `openssl crl -inform ${form} -in ${file} -noout -text | grep -c 'Serial Number:'`], { encoding: 'utf8' }).stdout.trim());
    const phases = ours.map((o) => o.phases);
    const row = {
      entries: n,
      ours: {
        // In-process: read (PostgreSQL → values), encode (TBSCertList), sign (SoftHSM2, SHA-256 over the TBS) — the CRL.
        generateAndSignMedianMs: Math.round(median(phases.map((p) => p.totalMs!))),
        readMedianMs: Math.round(median(phases.map((p) => p.readMs!))),
        encodeMedianMs: Math.round(median(phases.map((p) => p.encodeMs!))),
        hsmSignMedianMs: Math.round(median(phases.map((p) => p.signMs!))),
        processWallMedianS: median(ours.map((o) => o.seconds)),
        peakRssMb: Math.max(...ours.map((o) => o.peakMb)),
        activityWithStoreMedianMs: Math.round(median(withStore)),
        bytes: phases[0]!.bytes,
        listed: Number(count(path.join(dir, `${issuerFor(n)}.ours.crl`), 'DER')),
      },
      openssl: {
        processWallMedianS: median(openssl.map((o) => o.seconds)),
        peakRssMb: Math.max(...openssl.map((o) => o.peakMb)),
        listed: Number(count(path.join(dir, `openssl-${n}.crl`), 'PEM')),
      },
    };
    const speedup = row.openssl.processWallMedianS / (row.ours.generateAndSignMedianMs / 1000);
    const processSpeedup = row.openssl.processWallMedianS / row.ours.processWallMedianS;
    results.push({
      ...row,
      ratios: {
        opensslWallOverOurGenerateAndSign: Number(speedup.toFixed(2)),
        opensslWallOverOurProcessWall: Number(processSpeedup.toFixed(2)),
        ourPeakRssOverOpenssl: Number((row.ours.peakRssMb / row.openssl.peakRssMb).toFixed(2)),
      },
    });
    log(JSON.stringify(results.at(-1)));
  }
  const cpu = readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1] ?? 'unknown';
  console.log(JSON.stringify({ machine: { cpu, cores: (await import('node:os')).cpus().length }, runs, results }, null, 2));
} finally {
  await handle.close();
  await store.stop();
}
