/**
 * SoftHSM2 token setup for development and tests (ARCHITECTURE.md: "token created on first start").
 * Idempotent: writes an isolated softhsm2.conf under <dataDir>/softhsm, exports SOFTHSM2_CONF, and initializes the
 * token labelled config.hsm.tokenLabel once. PINs come from config (HSM_PIN) or are generated once from the CSPRNG
 * and kept in <dataDir>/secrets with mode 0600 (directory 0700) — never in the repository.
 * Production uses a real PKCS#11 HSM whose token is provisioned by the key ceremony, not by this file.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { CaConfig } from '../../config/index';
import { readOrCreateSecretFile } from '../../config/secret-files';
import { readHsmPin } from '../../pki/hsm-pin';

const run = promisify(execFile);

export const SOFTHSM_UTIL = process.env.SOFTHSM2_UTIL ?? 'softhsm2-util';

function softhsmConfText(dataDir: string): string {
  return [
    '# Written by scripts/lib/softhsm.ts: an isolated SoftHSM2 token store for this CA instance.',
    `directories.tokendir = ${path.join(dataDir, 'softhsm', 'tokens')}`,
    'objectstore.backend = file',
    'log.level = ERROR',
    'slots.removable = false',
    '',
  ].join('\n');
}

function writeIfChanged(file: string, content: string, mode: number): void {
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  if (current === content) return;
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, content, { mode });
  fs.renameSync(tmp, file);
}

/** The PIN in `file`, created once (128 bits from the CSPRNG, hex: within SoftHSM's 4..255 PIN length). */
function readOrCreateSecret(file: string): string {
  const value = readOrCreateSecretFile(file, () => randomBytes(16).toString('hex'));
  if (value.length < 4) throw new Error(`${file} holds no usable PIN`);
  return value;
}

/** Labels of the initialized tokens SoftHSM knows under SOFTHSM2_CONF=conf. */
export async function listTokenLabels(conf: string): Promise<string[]> {
  const { stdout } = await run(SOFTHSM_UTIL, ['--show-slots'], { env: { ...process.env, SOFTHSM2_CONF: conf } });
  const labels: string[] = [];
  // Each slot block has "Label:" lines; only initialized tokens carry a non-empty label.
  for (const block of stdout.split(/^Slot /m)) {
    if (!/Initialized:\s+yes/.test(block)) continue;
    const m = /^\s*Label:\s*(.*?)\s*$/m.exec(block);
    if (m?.[1]) labels.push(m[1]);
  }
  return labels;
}

export async function ensureSoftHsmToken(config: CaConfig): Promise<{ pin: string; conf: string }> {
  const conf = config.hsm.softhsmConf;
  const tokenDir = path.join(config.dataDir, 'softhsm', 'tokens');
  fs.mkdirSync(tokenDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(path.dirname(conf), 0o700);
  fs.chmodSync(tokenDir, 0o700);
  writeIfChanged(conf, softhsmConfText(config.dataDir), 0o600);
  process.env.SOFTHSM2_CONF = conf;

  const label = config.hsm.tokenLabel;
  const labels = await listTokenLabels(conf);
  if (labels.includes(label)) return { pin: readHsmPin(config.hsm), conf };

  const pin = config.hsm.pin ?? readOrCreateSecret(config.hsm.pinFile);
  const soPin = readOrCreateSecret(config.hsm.soPinFile);
  try {
    await run(SOFTHSM_UTIL, ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', soPin], {
      env: { ...process.env, SOFTHSM2_CONF: conf },
    });
  } catch (e) {
    // A concurrent start may have created it between our check and the init: accept that outcome.
    if (!(await listTokenLabels(conf)).includes(label)) {
      throw new Error(`softhsm2-util --init-token failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`);
    }
  }
  return { pin, conf };
}
