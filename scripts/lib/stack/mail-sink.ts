/**
 * The stack's SMTP relay: a local sink in place of the operator's MTA. It accepts every message for every recipient
 * and writes it, as received, to `<dir>/<time>-<n>.eml` — so the subscribers' notices (CP 4.3.2, 4.9; issuance,
 * revocation, expiry reminders), the OV vetting notices and the constructed e-mail method (CP 3.2.2.4.4) are
 * delivered somewhere an operator can read (as root) and the topology test can check, and nothing leaves the machine.
 * It runs as its own user (ca-mail) under the stack's supervisor:
 *   node --import tsx scripts/lib/stack/mail-sink.ts <port> <dir>
 * A deployment points CA_SMTP_URL at its real relay instead (docs/DEPLOYMENT.md).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { repoRoot } from '../../../config';
import { smtpReceiver } from '../smtp-receiver';
import { runAs } from './host';
import { serviceUsers, stackPorts, type StackLayout } from './layout';
import type { Service, Supervisor } from './supervisor';

/** One accepted message as the sink wrote it: the envelope in X- headers ahead of the message itself. */
function envelopeHeaders(from: string, to: readonly string[]): string {
  return `X-Envelope-From: ${from}\r\nX-Envelope-To: ${to.join(', ')}\r\n`;
}

async function serve(port: number, dir: string): Promise<void> {
  let n = 0;
  const server = smtpReceiver((m, answer) => {
    const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '')}-${++n}.eml`);
    try {
      writeFileSync(file, Buffer.concat([Buffer.from(envelopeHeaders(m.from, m.to)), m.raw]), { mode: 0o640 });
      answer();
    } catch (e) {
      // Not stored, not accepted: the sender retries (its delivery activity's policy).
      answer(e instanceof Error ? e : new Error(String(e)));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const stop = () => server.close(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

/** Starts the sink under the supervisor, as ca-mail, writing into data-stack/mail/ (made by the caller, owned by ca-mail). */
export function startMailSink(layout: StackLayout, supervisor: Supervisor): Service {
  return supervisor.start({
    name: 'mail',
    command: [...runAs(serviceUsers.mail), process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url), String(stackPorts.smtp), layout.mail],
    env: { PATH: '/usr/bin:/bin' },
    // `--import tsx` resolves from the working directory.
    cwd: repoRoot,
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [port, dir] = process.argv.slice(2);
  if (!port || !dir) {
    console.error('usage: mail-sink.ts <port> <dir>');
    process.exit(2);
  }
  await serve(Number(port), dir);
}
