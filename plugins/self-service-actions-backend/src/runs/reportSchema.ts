import { statusReportSchema } from '@self-service-actions/plugin-self-service-actions-common';

/** The status report schema with this installation's limits on steps and log lines. */
export function reportSchemaWithLimits(limits: { maxSteps: number; maxLogLineLength: number }) {
  const { steps } = statusReportSchema.properties;
  return {
    ...statusReportSchema,
    properties: {
      ...statusReportSchema.properties,
      steps: {
        ...steps,
        maxItems: limits.maxSteps,
        items: {
          ...steps.items,
          properties: {
            ...steps.items.properties,
            logs: {
              type: 'array',
              items: { type: 'string', maxLength: limits.maxLogLineLength },
            },
          },
        },
      },
    },
  };
}
