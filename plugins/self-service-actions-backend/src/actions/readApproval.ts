import { Config } from '@backstage/config';
import { isJsonObject } from '@self-service-actions/plugin-self-service-actions-common';
import { normalizePrincipalRef } from '../access/principalRefs';
import { readOptionalDurationMs } from '../config';
import { ActionApproval } from './types';

/**
 * Reads an action's `approval` block; `fail` names the field. Secret inputs (at any depth) are never stored,
 * so a run held for approval could not send them: an action that has both is refused.
 */
export function readApproval(
  config: Config,
  options: { defaultExpiryMs: number; secretPaths: string[] },
  fail: (field: string, problem: string) => never,
): ActionApproval | undefined {
  if (!config.has('approval')) {
    return undefined;
  }
  const raw = config.getOptional('approval');
  if (!isJsonObject(raw)) {
    return fail('approval', 'must be an object with approvers');
  }
  if (options.secretPaths.length > 0) {
    fail(
      'approval',
      `cannot be combined with secret inputs (${options.secretPaths.join(', ')}): secrets are never stored, so a run held for approval could not send them`,
    );
  }
  const approvers = raw.approvers;
  if (!Array.isArray(approvers) || approvers.length === 0) {
    return fail('approval.approvers', 'must be a non-empty list of user or group refs');
  }
  const refs = approvers.map(ref => {
    if (typeof ref !== 'string') {
      return fail('approval.approvers', 'must be a list of user or group refs');
    }
    try {
      return normalizePrincipalRef(ref);
    } catch (error) {
      return fail('approval.approvers', `has an invalid ref: ${(error as Error).message}`);
    }
  });
  const required = raw.required ?? 1;
  if (typeof required !== 'number' || !Number.isInteger(required) || required < 1) {
    fail('approval.required', 'must be a positive integer');
  }
  const allowSelfApproval = raw.allowSelfApproval ?? false;
  if (typeof allowSelfApproval !== 'boolean') {
    fail('approval.allowSelfApproval', 'must be true or false');
  }
  let expiresAfterMs: number | undefined;
  try {
    expiresAfterMs = readOptionalDurationMs(config, 'approval.expiresAfter');
  } catch (error) {
    return fail('approval.expiresAfter', `is not a duration: ${(error as Error).message}`);
  }
  return {
    approvers: [...new Set(refs)],
    required: required as number,
    allowSelfApproval: allowSelfApproval as boolean,
    expiresAfterMs: expiresAfterMs ?? options.defaultExpiryMs,
  };
}
