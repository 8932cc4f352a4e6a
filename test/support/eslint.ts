/** ESLint's Node API on a snippet, as if it were a file of the repository: what `npm run lint` reports for it. */
import path from 'node:path';
import { ESLint } from 'eslint';
import { repoRoot } from '../../config';

let eslint: ESLint | undefined;

/** The messages (`rule: message`) ESLint reports for `code` as the file `file` (relative to the repository). */
export async function lintAs(file: string, code: string): Promise<string[]> {
  eslint ??= new ESLint({ cwd: repoRoot });
  const [result] = await eslint.lintText(`${code}\n`, { filePath: path.join(repoRoot, file) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}
