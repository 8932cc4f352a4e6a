/** An in-process SMTP server (smtp-server) for the CP 3.2.2.4.4 tests: it accepts every message and keeps it. */
import { SMTPServer } from 'smtp-server';

export interface SmtpMessage {
  readonly from: string;
  readonly to: string[];
  readonly raw: string;
}

export interface SmtpSink {
  readonly port: number;
  readonly messages: SmtpMessage[];
  stop(): Promise<void>;
}

export async function startSmtpSink(): Promise<SmtpSink> {
  const messages: SmtpMessage[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        messages.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
        });
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as { port: number }).port;
  return { port, messages, stop: () => new Promise<void>((r) => server.close(() => r())) };
}
