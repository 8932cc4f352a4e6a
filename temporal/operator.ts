/**
 * The operator's side of the typed Temporal client (temporal/client.ts holds the doors' side): incidents, the CA key
 * changeover and the self-audit — started, signalled, updated and queried by the admin and ca CLIs only. Workflow
 * ids come from business keys (domain/workflow-ids.ts); search attributes are set at start.
 */
import { WorkflowIdReusePolicy, type Client } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import type { CaConfig } from '../config';
import { searchAttributes } from '../workflows/contracts';
import {
  importCertificateUpdate,
  incidentProgressQuery,
  incidentWorkflowId,
  keyChangeoverProgressQuery,
  keyChangeoverWorkflowId,
  pauseIncidentSignal,
  resumeIncidentSignal,
  selfAuditProgressQuery,
  setIncidentRateSignal,
  type ImportCertificateRequest,
  type ImportCertificateResult,
  type IncidentInput,
  type IncidentProgress,
  type KeyChangeoverCheckInput,
  type KeyChangeoverCheckResult,
  type KeyChangeoverProgress,
  type SelfAuditInput,
  type SelfAuditResult,
} from '../workflows/operator-contracts';

export interface OperatorWorkflows {
  /** Starts `incident-<id>` (the incident row exists already); a second start for the same incident is refused. */
  startIncident(input: Omit<IncidentInput, 'signingTaskQueue' | 'crl' | 'selectionPageSize'> & { lint: boolean }): Promise<{ workflowId: string }>;
  pauseIncident(incidentId: string, operator: string, reason?: string): Promise<void>;
  resumeIncident(incidentId: string, operator: string): Promise<void>;
  setIncidentRate(incidentId: string, operator: string, ratePerSecond: number): Promise<void>;
  incidentProgress(incidentId: string): Promise<IncidentProgress>;
  /** Waits for the incident's workflow to end and returns its final progress. */
  incidentResult(incidentId: string): Promise<IncidentProgress>;
  /** Runs the changeover check now (what the daily Schedule does) and returns what it found and started; `force`: start these CAs' changeovers even if not due. */
  checkKeyChangeover(force?: readonly string[]): Promise<KeyChangeoverCheckResult>;
  keyChangeoverProgress(caId: string, generation: number): Promise<KeyChangeoverProgress>;
  /** The operator's import of the root's certificate for the next key (refused unless it verifies). */
  importKeyChangeoverCertificate(caId: string, generation: number, request: ImportCertificateRequest): Promise<ImportCertificateResult>;
  /** Runs a self-audit now (what the quarterly Schedule does) and waits for its report. */
  runSelfAudit(): Promise<SelfAuditResult>;
  selfAuditProgress(workflowId: string): Promise<{ auditId: string | null; sampleSize: number | null; checked: number; flagged: number }>;
}

export function operatorInputs(config: Pick<CaConfig, 'temporal' | 'crl' | 'operator'>) {
  const crl = { quietSeconds: config.crl.quietSeconds, maxDelaySeconds: config.crl.maxDelaySeconds };
  return {
    crl,
    keyChangeoverCheck: (): KeyChangeoverCheckInput => ({
      leadDays: config.operator.changeoverLeadDays,
      reminderIntervalSeconds: config.operator.changeoverReminderSeconds,
      signingTaskQueue: config.temporal.signingTaskQueue,
      crl,
    }),
    selfAudit: (): SelfAuditInput => ({ pageSize: 10 }),
  };
}

export function temporalOperatorWorkflows(client: Client, config: Pick<CaConfig, 'temporal' | 'crl' | 'operator'>): OperatorWorkflows {
  const taskQueue = config.temporal.taskQueue;
  const inputs = operatorInputs(config);
  const incident = (id: string) => client.workflow.getHandle(incidentWorkflowId(id));
  const changeover = (caId: string, generation: number) => client.workflow.getHandle(keyChangeoverWorkflowId(caId, generation));
  return {
    async startIncident({ lint, ...input }) {
      const workflowId = incidentWorkflowId(input.incidentId);
      const args: IncidentInput = {
        ...input,
        signingTaskQueue: config.temporal.signingTaskQueue,
        crl: inputs.crl,
        // A lint criterion lints every candidate again: small pages, so each activity heartbeats often and ends soon.
        selectionPageSize: lint ? 25 : 1000,
      };
      await client.workflow.start('incidentResponse', {
        taskQueue,
        workflowId,
        args: [args],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        typedSearchAttributes: new TypedSearchAttributes([
          { key: searchAttributes.incidentId, value: input.incidentId },
          { key: searchAttributes.status, value: 'incident-selecting' },
        ]),
      });
      return { workflowId };
    },
    async pauseIncident(incidentId, operator, reason) {
      await incident(incidentId).signal(pauseIncidentSignal, { operator, ...(reason ? { reason } : {}) });
    },
    async resumeIncident(incidentId, operator) {
      await incident(incidentId).signal(resumeIncidentSignal, { operator });
    },
    async setIncidentRate(incidentId, operator, ratePerSecond) {
      await incident(incidentId).signal(setIncidentRateSignal, { operator, ratePerSecond });
    },
    incidentProgress: (incidentId) => incident(incidentId).query(incidentProgressQuery),
    incidentResult: (incidentId) => incident(incidentId).result() as Promise<IncidentProgress>,
    async checkKeyChangeover(force) {
      return client.workflow.execute('checkKeyChangeover', {
        taskQueue,
        workflowId: `key-changeover-check-manual-${Date.now()}`,
        args: [{ ...inputs.keyChangeoverCheck(), ...(force?.length ? { force } : {}) }],
      }) as Promise<KeyChangeoverCheckResult>;
    },
    keyChangeoverProgress: (caId, generation) => changeover(caId, generation).query(keyChangeoverProgressQuery),
    importKeyChangeoverCertificate: (caId, generation, request) => changeover(caId, generation).executeUpdate(importCertificateUpdate, { args: [request] }),
    async runSelfAudit() {
      return client.workflow.execute('selfAudit', { taskQueue, workflowId: `self-audit-manual-${Date.now()}`, args: [inputs.selfAudit()] }) as Promise<SelfAuditResult>;
    },
    selfAuditProgress: (workflowId) => client.workflow.getHandle(workflowId).query(selfAuditProgressQuery),
  };
}
