import { randomUUID } from 'node:crypto';
import { RequestContext } from '../access/AccessPolicy';
import { ActionCatalog } from '../actions/ActionCatalog';
import { Dispatcher } from '../dispatch/Dispatcher';
import { RunPreview } from '../dispatch/previewRequest';
import { prepareRun } from './prepareRun';
import { mintToken } from './tokens';

/**
 * `POST /actions/:id/preview`: the exact request a run with this body would send now, checked
 * as a run is (the same answers in the same order), for the action's owners and admins (others
 * 403: they may run, not inspect). Secrets, credentials and the report token read `***`.
 * Nothing is stored or sent.
 */
export class RunPreviewer {
  constructor(private readonly options: { actions: ActionCatalog; dispatcher: Dispatcher }) {}

  async preview(ctx: RequestContext, actionId: string, body: unknown): Promise<RunPreview> {
    const { actions, dispatcher } = this.options;
    const { runnable, validInputs } = await prepareRun(
      actions,
      ctx,
      actionId,
      body,
      'Only the owners of this action and admins may preview its request',
    );
    const { action, entity } = runnable;
    // A token of the form a run's has (so the body is the same size), never stored: shown as ***.
    const { token } = dispatcher.reportsBack(action) ? mintToken() : { token: '' };
    const context = dispatcher.invocationContext({
      action,
      runId: randomUUID(),
      reportToken: token,
      entity,
      userRef: ctx.caller.userRef,
      inputs: validInputs,
    });
    dispatcher.check(context);
    return dispatcher.preview(action, context);
  }
}
