/**
 * An in-process SMTP server (smtp-server) for the tests of CP 3.2.2.4.4 and of the notices: it accepts every message
 * and keeps it. `hold` keeps the final reply to DATA back for the messages it selects — the message is received, the
 * client never hears "250" — until `release()`: a worker killed then has sent a notice it could not record.
 */
import { smtpReceiver } from '../../scripts/lib/smtp-receiver';

export interface SmtpMessage {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
}

export interface SmtpSink {
  readonly port: number;
  readonly messages: SmtpMessage[];
  /** Answers every held DATA (250) and stops holding. */
  release(): void;
  stop(): Promise<void>;
}

/** A header of a raw message (unfolded), or undefined. */
export function headerOf(raw: string, name: string): string | undefined {
  const head = raw.split(/\r?\n\r?\n/)[0]!.replace(/\r?\n[ \t]+/g, ' ');
  const line = head.split(/\r?\n/).find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
  return line?.slice(name.length + 1).trim();
}

/** The text body of a raw message, decoded from the transfer encoding nodemailer chose (quoted-printable or base64). */
export function textOf(raw: string): string {
  const [head = '', ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  if (/content-transfer-encoding:\s*base64/i.test(head)) return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (!/content-transfer-encoding:\s*quoted-printable/i.test(head)) return body;
  const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

/**
 * The messages as a receiver that deduplicates on the Message-ID (RFC 5322 §3.6.4) sees them: one per Message-ID,
 * in arrival order.
 */
export function uniqueByMessageId(messages: readonly SmtpMessage[]): SmtpMessage[] {
  const seen = new Set<string>();
  return messages.filter((m) => {
    const id = headerOf(m.raw, 'Message-ID') ?? m.raw;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

export async function startSmtpSink(opts: { hold?: (m: SmtpMessage) => boolean } = {}): Promise<SmtpSink> {
  const messages: SmtpMessage[] = [];
  let holding = true;
  const held: Array<() => void> = [];
  const server = smtpReceiver((received, answer) => {
    const m = { from: received.from, to: received.to, raw: received.raw.toString('utf8') };
    messages.push(m);
    if (holding && opts.hold?.(m)) held.push(() => answer());
    else answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return {
    port,
    messages,
    release() {
      holding = false;
      for (const answer of held.splice(0)) answer();
    },
    stop: () =>
      new Promise<void>((r) => {
        for (const answer of held.splice(0)) answer();
        server.close(() => r());
      }),
  };
}
