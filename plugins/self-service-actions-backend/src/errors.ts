import { CustomErrorBase } from '@backstage/errors';

/**
 * 412: a change was made from a version that is no longer current. Backstage's error handler
 * answers with an error's own `statusCode` and its usual body; `@backstage/errors` has no
 * class for these two.
 */
export class PreconditionFailedError extends CustomErrorBase {
  name = 'PreconditionFailedError' as const;
  readonly statusCode = 412;
}

/** 428: a change must say which version it was made from (`If-Match`). */
export class PreconditionRequiredError extends CustomErrorBase {
  name = 'PreconditionRequiredError' as const;
  readonly statusCode = 428;
}
