/**
 * `npm run dns -- <command>`: edit the records of the running development DNS server through its admin API
 * (scripts/lib/dev-dns.ts), e.g. to publish the DNS-change random value (BR 3.2.2.4.7) or a CAA record (RFC 8659).
 *
 *   npm run dns -- add TXT _acme-challenge.www.dev.test <value> [--ttl 60]
 *   npm run dns -- add CAA www.dev.test 0 issue jprs.jp
 *   npm run dns -- add A www.dev.test 127.0.0.1
 *   npm run dns -- add CNAME _acme-challenge.www.dev.test dcv.other.dev.test
 *   npm run dns -- rm TXT <name> [value]          (rm <name> removes every record at the name)
 *   npm run dns -- list
 *   npm run dns -- servfail <name> on|off
 *   npm run dns -- clear
 *   npm run dns -- serve                           (runs the server in the foreground)
 */
import { loadConfig } from '../config/index';
import { devRecordTypes, startDevDnsServer, type DevRecordType } from './lib/dev-dns';

const usage = `usage: npm run dns -- add <TXT|A|AAAA|CNAME|CAA> <name> <value...> [--ttl N]
       npm run dns -- rm [<type>] <name> [value...]
       npm run dns -- list | clear | serve
       npm run dns -- servfail <name> on|off`;

function fail(message: string): never {
  console.error(message);
  process.exit(2);
}

function parseType(t: string | undefined): DevRecordType {
  const up = (t ?? '').toUpperCase();
  if (!(devRecordTypes as readonly string[]).includes(up)) fail(`unknown record type ${t}\n${usage}`);
  return up as DevRecordType;
}

/** CAA on the command line: `<flags> <tag> <value>` as in zone files, or `<tag> <value>` with flags 0. */
function parseValue(type: DevRecordType, words: string[]): string | object {
  if (type === 'CAA') {
    const [a, b, ...rest] = words;
    if (a !== undefined && /^\d+$/.test(a) && b !== undefined && rest.length > 0) return { flags: Number(a), tag: b, value: rest.join(' ') };
    if (a !== undefined && b !== undefined) return { flags: 0, tag: a, value: [b, ...rest].join(' ') };
    fail('CAA value: [flags] <tag> <value>, e.g. 0 issue jprs.jp');
  }
  if (words.length === 0) fail(`${type} needs a value\n${usage}`);
  return words.join(' ');
}

async function call(method: string, route: string, body?: unknown): Promise<unknown> {
  const config = loadConfig();
  const url = `http://127.0.0.1:${config.dns.devAdminPort}${route}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (e) {
    fail(`the development DNS server does not answer at ${url} (is \`npm start\` or \`npm run dns -- serve\` running?): ${String(e)}`);
  }
  const json = (await res.json()) as { error?: string };
  if (!res.ok) fail(`${method} ${route}: ${res.status} ${json.error ?? JSON.stringify(json)}`);
  return json;
}

async function main(argv: string[]): Promise<void> {
  let ttl: number | undefined;
  const ttlAt = argv.indexOf('--ttl');
  if (ttlAt >= 0) {
    ttl = Number(argv[ttlAt + 1]);
    if (!Number.isInteger(ttl)) fail('--ttl needs an integer');
    argv.splice(ttlAt, 2);
  }
  const [command, ...args] = argv;
  switch (command) {
    case 'add': {
      const type = parseType(args[0]);
      const name = args[1] ?? fail(usage);
      const value = parseValue(type, args.slice(2));
      console.log(JSON.stringify(await call('POST', '/records', { name, type, value, ttl })));
      return;
    }
    case 'rm':
    case 'remove':
    case 'del': {
      const typed = args[0] !== undefined && (devRecordTypes as readonly string[]).includes(args[0].toUpperCase());
      const type = typed ? parseType(args[0]) : undefined;
      const rest = typed ? args.slice(1) : args;
      const name = rest[0] ?? fail(usage);
      const value = type && rest.length > 1 ? parseValue(type, rest.slice(1)) : undefined;
      console.log(JSON.stringify(await call('DELETE', '/records', { name, type, value })));
      return;
    }
    case 'list':
    case 'ls': {
      const { zone, records } = (await call('GET', '/records')) as { zone: string; records: Array<{ name: string; type: string; ttl: number; value: unknown }> };
      console.log(`; zone ${zone}: ${records.length} record(s)`);
      for (const r of records) {
        const v = typeof r.value === 'string' ? (r.type === 'TXT' ? JSON.stringify(r.value) : r.value) : (() => {
          const c = r.value as { flags: number; tag: string; value: string };
          return `${c.flags} ${c.tag} ${JSON.stringify(c.value)}`;
        })();
        console.log(`${r.name}.\t${r.ttl}\tIN\t${r.type}\t${v}`);
      }
      return;
    }
    case 'servfail': {
      const name = args[0] ?? fail(usage);
      const on = (args[1] ?? 'on') !== 'off';
      console.log(JSON.stringify(await call('POST', '/servfail', { name, on })));
      return;
    }
    case 'clear':
      console.log(JSON.stringify(await call('POST', '/clear', {})));
      return;
    case 'serve': {
      const config = loadConfig();
      const server = await startDevDnsServer({
        host: '127.0.0.1',
        port: config.dns.devPort,
        adminPort: config.dns.devAdminPort,
        zone: config.dns.devZone,
        recordsFile: config.dns.devRecordsFile,
        log: (line) => console.log(line),
      });
      const shutdown = (): void => {
        void server.stop().then(() => process.exit(0));
      };
      process.on('SIGINT', shutdown);
      process.on('SIGTERM', shutdown);
      return;
    }
    default:
      fail(usage);
  }
}

await main(process.argv.slice(2));
