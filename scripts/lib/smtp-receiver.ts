/**
 * An SMTP server (smtp-server) that accepts every message for every recipient, without TLS or authentication, and
 * hands each one over with its envelope: the stack's local relay (scripts/lib/stack/mail-sink.ts) writes them to
 * files, the tests' in-process sink (test/support/smtp-sink.ts) keeps them in memory. `answer` is the reply to DATA:
 * nothing (250, accepted) or an error (the sender keeps the message and retries).
 */
import { SMTPServer } from 'smtp-server';

export interface ReceivedMessage {
  readonly from: string;
  readonly to: string[];
  readonly raw: Buffer;
}

export function smtpReceiver(onMessage: (message: ReceivedMessage, answer: (err?: Error) => void) => void): SMTPServer {
  return new SMTPServer({
    authOptional: true,
    // Loopback only: no TLS to offer and no accounts to authenticate.
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        onMessage({ from, to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks) }, (err) => callback(err ?? null));
      });
    },
  });
}
