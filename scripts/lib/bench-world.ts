/**
 * "The world" of `npm run bench:cost`, in a process of its own so its CPU is not counted as the CA's: the applicants'
 * authoritative DNS (the development DNS server: the TXT records of BR 3.2.2.4.7 and the CAA answers every perspective
 * asks for) and the subscribers' mail relay (an SMTP sink for the issuance notices of CP 4.3.2).
 * Environment: CA_DEV_DNS_PORT, CA_DEV_DNS_ADMIN_PORT, CA_DEV_ZONE. Prints one JSON line {"msg":"world ready",...}.
 */
import { startSmtpSink } from '../../test/support/smtp-sink';
import { startDevDnsServer } from './dev-dns';

const dns = await startDevDnsServer({
  host: '127.0.0.1',
  port: Number(process.env.CA_DEV_DNS_PORT),
  adminPort: Number(process.env.CA_DEV_DNS_ADMIN_PORT),
  zone: process.env.CA_DEV_ZONE ?? 'dev.test',
});
const smtp = await startSmtpSink();
console.log(JSON.stringify({ msg: 'world ready', dnsPort: dns.port, dnsAdminPort: dns.adminPort, smtpPort: smtp.port }));

const stop = () => {
  void Promise.all([dns.stop(), smtp.stop()]).finally(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
