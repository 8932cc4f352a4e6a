/**
 * Storage side of step 3 (MPIC, BR 3.2.2.9) and step 9 (CAA re-check): the workflow hands over what the perspectives
 * returned and the quorum it computed with domain/mpic.ts; this activity stores them (main task queue, database).
 */
import type { CaConfig } from '../config';
import type { Db } from '../db/client';
import { recordCorroboration, type CorroborationInput } from '../db/repositories/corroborations';

export function createCorroborationActivities({ db, config }: { db: Db; config: Pick<CaConfig, 'mpic'> }) {
  return {
    /**
     * The perspectives the workflow must ask, from this deployment's configuration (recorded in the workflow history,
     * so a replay asks the same ones). Every door (REST, ACME) gets MPIC without passing anything.
     */
    async mpicConfiguration(): Promise<{ primaryRegion: string; perspectives: Array<{ id: string; region: string; taskQueue: string }> }> {
      return {
        primaryRegion: config.mpic.primaryRegion,
        perspectives: config.mpic.perspectives.map((p) => ({ id: p.id, region: p.region, taskQueue: p.taskQueue })),
      };
    },
    async recordCorroboration(input: CorroborationInput): Promise<{ id: string }> {
      return recordCorroboration(db, input);
    },
    /** Every round of one corroboration (the DCV and the CAA round of an FQDN) in one call, in order. */
    async recordCorroborations(inputs: readonly CorroborationInput[]): Promise<Array<{ id: string }>> {
      const ids: Array<{ id: string }> = [];
      for (const input of inputs) ids.push(await recordCorroboration(db, input));
      return ids;
    },
  };
}
