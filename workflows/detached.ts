/**
 * Starting a workflow that outlives the one starting it (a notice's delivery, a certificate's expiry reminders, a
 * predecessor's revocation): a child with ParentClosePolicy ABANDON, whose id comes from its business key
 * (domain/workflow-ids.ts). If a workflow with that id is already running — or, with `once`, ever ran — the start is
 * refused by the server and that is the answer we want: it is already being taken care of.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, startChild, WorkflowIdReusePolicy, type Workflow } from '@temporalio/workflow';

export async function startDetached<T extends Workflow>(
  workflow: T,
  workflowId: string,
  args: Parameters<T>,
  reuse: 'once' | 'after-close',
): Promise<void> {
  try {
    await startChild(workflow, {
      workflowId,
      args,
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: reuse === 'once' ? WorkflowIdReusePolicy.REJECT_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    } as never);
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
