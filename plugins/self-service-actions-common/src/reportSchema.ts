import { RUN_STATUSES } from './types';

/** Names of the headers that carry a report token (the second is configure8's). */
export const REPORT_TOKEN_HEADERS = ['x-report-token', 'c8-report-token'] as const;

const timestamp = { type: 'string', format: 'date-time' } as const;
const nullableTimestamp = {
  anyOf: [timestamp, { type: 'null' }],
} as const;

/**
 * JSON Schema (draft-07) of a status report. Unknown fields are refused so a typo
 * in a receiver is noticed instead of silently dropped.
 */
export const statusReportSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['status', 'startedAt'],
  properties: {
    status: { type: 'string', enum: RUN_STATUSES },
    startedAt: timestamp,
    completedAt: nullableTimestamp,
    message: { anyOf: [{ type: 'string', maxLength: 4096 }, { type: 'null' }] },
    links: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['url'],
        properties: {
          title: { type: 'string', maxLength: 200 },
          url: { type: 'string', format: 'uri', pattern: '^https?://', maxLength: 2048 },
        },
      },
    },
    steps: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['title', 'status', 'startedAt'],
        properties: {
          title: { type: 'string', minLength: 1, maxLength: 200 },
          status: { type: 'string', enum: RUN_STATUSES },
          startedAt: timestamp,
          completedAt: nullableTimestamp,
          logs: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
} as const;
