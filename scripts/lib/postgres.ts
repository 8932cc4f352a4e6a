/**
 * A private PostgreSQL cluster for development and tests (ARCHITECTURE.md "Services": a cluster started by the
 * scripts with the Debian binaries, or an existing one via DATABASE_URL).
 *
 * Layout under <dataDir>/pg: `data/` is PGDATA (the unix socket lives there too, so nothing is written to
 * /var/run), `postgres.log` is the server log. The server listens on 127.0.0.1 only and trusts local
 * connections: it is a private development cluster, never a production database.
 *
 * initdb, pg_ctl and postgres refuse to run as root; when we are root (this machine, CI) every server command
 * runs as the `postgres` system user of the Debian package via runuser, and the cluster directory is owned by it.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { appendFile, chown, mkdir, open, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import type { CaConfig } from '../../config/index';
import { ensureDatabaseRoles, roleOfUrl } from './postgres-roles';

const execFileAsync = promisify(execFile);

const SERVER_USER = 'postgres';
/** The cluster's superuser (initdb -U): it creates the database and the CA's owner and runtime roles, nothing else. */
const DB_USER = 'ca';
const DB_NAME = 'ca';
/** sockaddr_un.sun_path is 108 bytes on Linux; beyond that PostgreSQL cannot create the socket. */
const MAX_SOCKET_PATH = 100;

export interface ManagedPostgres {
  /** The runtime role's URL (the services'). */
  readonly url: string;
  /** The owner role's URL (migrations). */
  readonly ownerUrl: string;
  /** The cluster superuser's URL to the CA database (role management); undefined for a cluster of DATABASE_URL. */
  readonly superuserUrl: string | undefined;
  stop(): Promise<void>;
}

interface Layout {
  readonly binDir: string;
  readonly root: string;
  readonly pgData: string;
  readonly logFile: string;
  readonly port: number;
}

/** The newest /usr/lib/postgresql/<major>/bin with an initdb; falls back to PATH (empty prefix). */
function findBinDir(): string {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return '';
  const majors = readdirSync(base)
    .filter((d) => /^\d+(\.\d+)?$/.test(d) && existsSync(path.join(base, d, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] ? path.join(base, majors[0], 'bin') : '';
}

function layout(config: CaConfig, port: number): Layout {
  const root = path.join(config.dataDir, 'pg');
  return { binDir: findBinDir(), root, pgData: path.join(root, 'data'), logFile: path.join(root, 'postgres.log'), port };
}

const asRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Runs a PostgreSQL server binary, as the postgres user when we are root. */
async function pgRun(
  l: Layout,
  tool: string,
  args: string[],
  opts: { allowExit?: number[] } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const bin = l.binDir ? path.join(l.binDir, tool) : tool;
  const [file, argv] = asRoot() ? ['runuser', ['-u', SERVER_USER, '--', bin, ...args]] : [bin, args];
  try {
    const { stdout, stderr } = await execFileAsync(file, argv, { cwd: l.root, env: { ...process.env, LC_ALL: 'C' } });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: unknown; stdout?: string; stderr?: string };
    const code = typeof err.code === 'number' ? err.code : -1;
    if (opts.allowExit?.includes(code)) return { code, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
    throw new Error(`${tool} ${args.join(' ')} failed (exit ${String(err.code)}): ${(err.stderr ?? '').trim()}`);
  }
}

/** Gives the cluster directory to the postgres user and checks it can reach it through every parent. */
async function prepareOwnership(l: Layout): Promise<void> {
  if (!asRoot()) return;
  const { stdout } = await execFileAsync('id', ['-u', SERVER_USER]).catch(() => {
    throw new Error(`running as root needs the '${SERVER_USER}' system user (Debian package postgresql)`);
  });
  const uid = Number(stdout.trim());
  const gid = Number((await execFileAsync('id', ['-g', SERVER_USER])).stdout.trim());
  await chown(l.root, uid, gid);
  if (existsSync(l.pgData)) {
    const st = await stat(l.pgData);
    if (st.uid !== uid) await execFileAsync('chown', ['-R', `${uid}:${gid}`, l.root]);
  }
  try {
    await execFileAsync('runuser', ['-u', SERVER_USER, '--', 'test', '-w', l.root]);
  } catch {
    throw new Error(
      `the '${SERVER_USER}' user cannot write ${l.root}: every parent directory must be traversable (o+x)`,
    );
  }
}

/** Appended to postgresql.conf as the last step of initialization: its presence means the cluster is complete. */
const CONF_MARKER = '# --- private CA development cluster (scripts/lib/postgres.ts) ---';

async function clusterComplete(l: Layout): Promise<boolean> {
  const conf = await readFile(path.join(l.pgData, 'postgresql.conf'), 'utf8').catch(() => '');
  return conf.includes(CONF_MARKER);
}

async function initCluster(l: Layout, log: (s: string) => void, superuserPassword?: string): Promise<void> {
  if (existsSync(l.pgData)) {
    // An initialization that was interrupted (the marker is written last): nothing in it can be worth keeping.
    log(`postgres: removing the incomplete cluster in ${l.pgData}`);
    await rm(l.pgData, { recursive: true, force: true });
  }
  log(`postgres: initdb ${l.pgData}`);
  // With a superuser password (the production topology, `npm run stack`), every TCP login needs its role's password
  // (SCRAM) and the socket only admits the postgres OS user as itself; without one, the development cluster trusts.
  const auth = superuserPassword === undefined ? ['--auth=trust'] : ['--auth-host=scram-sha-256', '--auth-local=peer', `--pwfile=${await writePwFile(l, superuserPassword)}`];
  try {
    await pgRun(l, 'initdb', ['-D', l.pgData, '-U', DB_USER, ...auth, '-E', 'UTF8', '--locale=C']);
  } finally {
    await rm(path.join(l.root, 'initdb-pw'), { force: true });
  }
  const socketDir = path.join(l.pgData, `.s.PGSQL.${l.port}`).length <= MAX_SOCKET_PATH ? l.pgData : '';
  // Appended settings win over initdb's defaults (last one in the file counts).
  await appendFile(
    path.join(l.pgData, 'postgresql.conf'),
    [
      '',
      CONF_MARKER,
      "listen_addresses = '127.0.0.1'",
      `port = ${l.port}`,
      `unix_socket_directories = '${socketDir}'`,
      'max_connections = 200',
      "log_min_messages = 'warning'",
      '',
    ].join('\n'),
  );
}

/** The superuser password for initdb --pwfile, readable by the postgres user only for the duration of initdb. */
async function writePwFile(l: Layout, password: string): Promise<string> {
  const file = path.join(l.root, 'initdb-pw');
  await writeFile(file, `${password}\n`, { mode: 0o600 });
  if (asRoot()) {
    const ids = (flag: string) => execFileAsync('id', [flag, SERVER_USER]).then((r) => Number(r.stdout.trim()));
    await chown(file, await ids('-u'), await ids('-g'));
  }
  return file;
}

/** The pid and port of the running postmaster, from postmaster.pid when `pg_ctl status` says it runs. */
async function runningServer(l: Layout): Promise<{ port: number } | null> {
  if (!existsSync(path.join(l.pgData, 'PG_VERSION'))) return null;
  // pg_ctl status: 0 = running, 3 = not running, 4 = no accessible data directory.
  const st = await pgRun(l, 'pg_ctl', ['status', '-D', l.pgData], { allowExit: [3, 4] });
  if (st.code !== 0) return null;
  const pidFile = await readFile(path.join(l.pgData, 'postmaster.pid'), 'utf8').catch(() => '');
  const port = Number(pidFile.split('\n')[3]);
  return { port: Number.isFinite(port) && port > 0 ? port : l.port };
}

async function waitForConnections(url: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const sql = postgres(url, { max: 1, connect_timeout: 5, onnotice: () => {} });
    try {
      await sql`select 1`;
      return;
    } catch (e) {
      // 57P03 = cannot_connect_now (starting up); ECONNREFUSED while the socket is not open yet.
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections at ${url}: ${String(e)}`);
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
}

export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) {
      try {
        await sql.unsafe(`create database "${name}"`);
      } catch (e) {
        // 42P04 duplicate_database: another process created it between our check and our create.
        if ((e as { code?: string }).code !== '42P04') throw e;
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * A cross-process lock (an O_EXCL file holding our pid) around initdb/start, so two processes bringing the
 * cluster up at once (`npm start` and the test setup, or two ensurePostgres calls) do not both run initdb.
 * A lock left by a dead process is taken over.
 */
async function withLock<T>(file: string, fn: () => Promise<T>, timeoutMs = 180_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fh = await open(file, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      break;
    } catch (e) {
      if ((e as { code?: string }).code !== 'EEXIST') throw e;
      const pid = Number(await readFile(file, 'utf8').catch(() => ''));
      let alive = pid > 0;
      if (alive) {
        try {
          process.kill(pid, 0);
        } catch (k) {
          alive = (k as { code?: string }).code === 'EPERM';
        }
      }
      // No pid yet: the holder is between creating and writing the file, or died right there (then the file
      // stays empty: taken over after 10 s).
      const stale = pid > 0 ? !alive : Date.now() - ((await stat(file).catch(() => null))?.mtimeMs ?? 0) > 10_000;
      if (stale) await unlink(file).catch(() => {});
      if (Date.now() > deadline) throw new Error(`timed out waiting for the lock ${file}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    await unlink(file).catch(() => {});
  }
}

const urlFor = (port: number, db: string, password?: string) =>
  `postgres://${DB_USER}${password === undefined ? '' : `:${encodeURIComponent(password)}`}@127.0.0.1:${port}/${db}`;

/**
 * Makes sure a PostgreSQL server is reachable and returns its URL. With DATABASE_URL set (managedPort undefined)
 * that URL is returned untouched. Otherwise the private cluster is created if missing, started if not running
 * (a running one is reused, and then stop() leaves it running), and the `ca` database is created if missing.
 */
export async function ensurePostgres(
  config: CaConfig,
  opts: { log?: (s: string) => void; superuserPassword?: string; createRoles?: boolean } = {},
): Promise<ManagedPostgres> {
  const port = config.database.managedPort;
  if (port === undefined) return { url: config.database.url, ownerUrl: config.database.ownerUrl, superuserUrl: undefined, stop: async () => {} };
  const log = opts.log ?? (() => {});
  const l = layout(config, port);

  await mkdir(l.root, { recursive: true });
  const startedHere = await withLock(path.join(config.dataDir, '.pg-ensure.lock'), async () => {
    await prepareOwnership(l);
    if (!(await clusterComplete(l))) await initCluster(l, log, opts.superuserPassword);
    const running = await runningServer(l);
    if (running) {
      if (running.port !== port) {
        throw new Error(`the cluster in ${l.pgData} already runs on port ${running.port}, not ${port} (CA_PG_PORT)`);
      }
      log(`postgres: reusing the running cluster on 127.0.0.1:${port}`);
      return false;
    }
    log(`postgres: starting on 127.0.0.1:${port} (log ${l.logFile})`);
    try {
      await pgRun(l, 'pg_ctl', ['start', '-D', l.pgData, '-l', l.logFile, '-w', '-t', '60', '-o', `-p ${port}`]);
      return true;
    } catch (e) {
      // Another process not using this lock (a manual pg_ctl) may have started it meanwhile.
      if (!(await runningServer(l))) {
        const tail = (await readFile(l.logFile, 'utf8').catch(() => '')).split('\n').slice(-15).join('\n');
        throw new Error(`${(e as Error).message}\n--- ${l.logFile} ---\n${tail}`);
      }
      log('postgres: another process started the cluster; reusing it');
      return false;
    }
  });

  await waitForConnections(urlFor(port, 'postgres', opts.superuserPassword));
  await ensureDatabase(urlFor(port, 'postgres', opts.superuserPassword), DB_NAME);
  const superuserUrl = urlFor(port, DB_NAME, opts.superuserPassword);
  // The cluster's superuser (DB_USER) only sets up: the owner runs the migrations, the services use the runtime role.
  // The production topology makes its own roles (one password login per process, scripts/lib/stack/database.ts).
  if (opts.createRoles !== false) {
    await ensureDatabaseRoles(superuserUrl, {
      database: DB_NAME,
      owner: roleOfUrl(config.database.ownerUrl),
      runtime: roleOfUrl(config.database.url),
      ownerMayCreateDatabases: true,
    });
  }
  let ownsServer = startedHere;
  return {
    url: config.database.url,
    ownerUrl: config.database.ownerUrl,
    superuserUrl,
    stop: async () => {
      if (!ownsServer) return;
      ownsServer = false;
      await stopCluster(l, log);
    },
  };
}

async function stopCluster(l: Layout, log: (s: string) => void): Promise<void> {
  if (!(await runningServer(l))) return;
  log('postgres: stopping');
  await pgRun(l, 'pg_ctl', ['stop', '-D', l.pgData, '-m', 'fast', '-w', '-t', '60']);
}

/** Stops the private cluster if it runs (whoever started it). A no-op with DATABASE_URL. */
export async function stopPostgres(config: CaConfig, opts: { log?: (s: string) => void } = {}): Promise<void> {
  const port = config.database.managedPort;
  if (port === undefined) return;
  const l = layout(config, port);
  if (!existsSync(l.pgData)) return;
  await stopCluster(l, opts.log ?? (() => {}));
}
