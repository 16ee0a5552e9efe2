import express from 'express';
import { AuditorService } from '@backstage/backend-plugin-api';
import { RequestContext } from '../access/AccessPolicy';
import { ManagedActions, SavedAction } from '../actions/ManagedActions';

/**
 * The routes that create, change and delete owner-managed actions (DESIGN §12). Every call is
 * audited at medium severity with the action's id and version, refusals included; the audit
 * never holds the definition (its header values name secrets).
 */
export function addManagedActionRoutes(
  /**
   * The router generated from openapi.yaml (its validator checks these requests against the
   * spec), as a plain express router: its typed form is too deep for TypeScript to pass on.
   */
  api: express.Router,
  options: {
    managed: ManagedActions;
    auditor: AuditorService;
    requestContext: (req: express.Request) => Promise<RequestContext>;
  },
) {
  const { managed, auditor, requestContext } = options;

  /** Runs `work` under an audit event; its success names the action and its new version. */
  async function audited<T extends void | SavedAction>(
    req: express.Request,
    eventId: string,
    actionId: string | null,
    work: () => Promise<T>,
  ): Promise<T> {
    const meta = { actionId };
    const event = await auditor.createEvent({ eventId, severityLevel: 'medium', request: req, meta });
    try {
      const result = await work();
      await event.success({
        meta: result ? { actionId: result.action.id, version: result.version } : meta,
      });
      return result;
    } catch (error) {
      await event.fail({ error: error as Error, meta });
      throw error;
    }
  }

  const etag = (version: number) => `"${version}"`;

  api.post('/actions', async (req, res) => {
    const ctx = await requestContext(req);
    const id = typeof req.body?.id === 'string' ? req.body.id : null;
    const saved = await audited(req, 'action-create', id, () => managed.create(ctx, req.body));
    res.status(201).setHeader('ETag', etag(saved.version)).json(saved.action);
  });

  api.put('/actions/:id', async (req, res) => {
    const ctx = await requestContext(req);
    const saved = await audited(req, 'action-update', req.params.id, () =>
      managed.update(ctx, req.params.id, req.header('if-match'), req.body),
    );
    res.setHeader('ETag', etag(saved.version)).json(saved.action);
  });

  api.delete('/actions/:id', async (req, res) => {
    const ctx = await requestContext(req);
    await audited(req, 'action-delete', req.params.id, () =>
      managed.delete(ctx, req.params.id, req.header('if-match')),
    );
    res.status(204).end();
  });

  api.get('/actions/:id/definition', async (req, res) => {
    const ctx = await requestContext(req);
    const document = await managed.definition(ctx, req.params.id);
    res.setHeader('ETag', etag(document.version)).json(document);
  });
}
