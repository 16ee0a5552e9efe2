import { NotImplementedError } from '@backstage/errors';
import { maskSecretInputs } from '@self-service-actions/plugin-self-service-actions-common';
import {
  InvocationContext,
  Invoker,
  PreviewedRequest,
} from '@self-service-actions/plugin-self-service-actions-node';
import { ActionDefinition } from '../actions/types';
import { REDACTED, secretScrubber } from './scrubSecrets';

/** What `POST /actions/:id/preview` answers. */
export interface RunPreview {
  request: PreviewedRequest;
  /** The Standard Webhooks headers (signatures as `v1,***`); empty for unsigned methods. */
  signature: { headers: Record<string, string> };
}

const SIGNATURE_HEADERS = ['webhook-id', 'webhook-timestamp', 'webhook-signature'];

/**
 * The request an invoker would send for a run, shown: built from the run's context with secret
 * inputs and the report token as `***` (so a secret shorter than any scrub could find is never
 * shown either), then every other secret the invoker names (rendered header values, signing
 * secrets, credentials) replaced wherever it appears.
 */
export function previewRequest(
  invoker: Invoker,
  action: ActionDefinition,
  context: InvocationContext,
): RunPreview {
  if (!invoker.preview) {
    throw new NotImplementedError(`Runs of ${action.method.type} actions cannot be previewed`);
  }
  const masked: InvocationContext = {
    ...context,
    inputs: maskSecretInputs(action.userInputs, context.inputs, REDACTED),
    secretValues: [],
    run: { ...context.run, reportToken: context.run.reportToken ? REDACTED : '' },
  };
  const built = invoker.preview(masked);
  const scrub = secretScrubber([
    ...(invoker.secrets?.(context) ?? []),
    ...(action.referencedSecrets ?? []),
    context.run.reportToken,
    ...(context.secretValues ?? []),
  ]);
  const headers: Record<string, string> = {};
  const signature: Record<string, string> = {};
  for (const [name, value] of Object.entries(built.headers)) {
    if (!SIGNATURE_HEADERS.includes(name.toLowerCase())) {
      headers[name] = scrub(value);
    } else if (name.toLowerCase() === 'webhook-signature') {
      // One `v1,<hmac>` per signing secret: how many there are shows; what they are does not.
      signature[name] = value.split(' ').map(() => `v1,${REDACTED}`).join(' ');
    } else {
      signature[name] = value;
    }
  }
  return {
    request: { method: built.method, url: scrub(built.url), headers, body: scrub(built.body) },
    signature: { headers: signature },
  };
}
