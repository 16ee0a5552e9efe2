import { LoggerService } from '@backstage/backend-plugin-api';
import { NotificationService } from '@backstage/plugin-notifications-node';
import { isFinalStatus } from '@self-service-actions/plugin-self-service-actions-common';
import { RunRecord } from '../database/RunStore';

/** Where the frontend shows a run: notifications link there. */
export function runPagePath(runId: string): string {
  return `/self-service-actions/runs/${encodeURIComponent(runId)}`;
}

/**
 * Tells people about runs that needed approval, through Backstage notifications: approvers
 * that a run waits for them; the initiator that it was approved or rejected, and how it ended.
 * Sending never delays or fails a run: without the notifications backend (or when it does not
 * answer) the first failure is logged and the rest quietly dropped.
 */
export class RunNotifier {
  private warned = false;

  constructor(
    private readonly options: { notifications: NotificationService; logger: LoggerService },
  ) {}

  /** The approvers of a newly held run (not its initiator unless they may approve it). */
  approvalRequested(run: RunRecord): void {
    const { approval } = run;
    if (!approval) return;
    this.send(approval.approvers, run, {
      title: `Approval requested: ${run.actionName}`,
      description: `${run.initiatedBy} wants to run ${run.actionName}${
        run.entityRef ? ` on ${run.entityRef}` : ''
      }; ${approval.required} approval(s) needed.`,
      severity: 'high',
      exclude: approval.allowSelfApproval ? undefined : run.initiatedBy,
    });
  }

  /** The initiator, after a decision that approved (released) or rejected their run. */
  decided(run: RunRecord, by: string): void {
    if (run.status === 'rejected') {
      this.send([run.initiatedBy], run, {
        title: `Rejected: ${run.actionName}`,
        description: run.message ?? `Rejected by ${by}`,
        severity: 'normal',
      });
    } else if (run.dispatchStatus !== 'held') {
      this.send([run.initiatedBy], run, {
        title: `Approved: ${run.actionName}`,
        description: `Approved by ${by}; the run has started.`,
        severity: 'normal',
      });
    }
  }

  /** The initiator of a run that needed approval, when it reaches a final status. */
  finished(run: RunRecord): void {
    if (!run.approval || !isFinalStatus(run.status)) return;
    this.send([run.initiatedBy], run, {
      title: `${run.actionName}: ${run.status}`,
      description: run.error ?? run.message ?? `The run ended ${run.status}.`,
      severity: run.status === 'complete' ? 'normal' : 'high',
    });
  }

  private send(
    recipients: string[],
    run: RunRecord,
    content: {
      title: string;
      description: string;
      severity: 'normal' | 'high';
      exclude?: string;
    },
  ): void {
    this.options.notifications
      .send({
        recipients: {
          type: 'entity',
          entityRef: recipients,
          ...(content.exclude ? { excludeEntityRef: content.exclude } : {}),
        },
        payload: {
          title: content.title,
          description: content.description,
          link: runPagePath(run.id),
          severity: content.severity,
          topic: `self-service-actions:${run.id}`,
        },
      })
      .catch(error => {
        const message = `Could not send a self-service actions notification (is the notifications backend installed?): ${error}`;
        if (!this.warned) {
          this.warned = true;
          this.options.logger.warn(message);
        } else {
          this.options.logger.debug(message);
        }
      });
  }
}
