import { JsonValue } from '@self-service-actions/plugin-self-service-actions-common';
import { InvocationContext } from '@self-service-actions/plugin-self-service-actions-node';
import { fail, readStringMap } from './methodFields';
import { renderStringMap, templateContextOf } from './template';

/**
 * The named string parameters a run hands a CI system (GitHub workflow inputs, GitLab pipeline
 * variables): templates rendered per run, plus the run's report token and report URL under
 * names of their own.
 */
export interface ScmParameters {
  /** Name to template. */
  templates: Record<string, string>;
  /** The name the report token goes under. */
  reportTokenName: string;
  /** The name the report URL goes under. */
  reportUrlName: string;
}

/** How one CI system names its parameters. */
export interface ParameterRules {
  /** The method's field of templates: `inputs`, `variables`. */
  field: string;
  /** The fields that rename the token's and URL's parameters, with their defaults. */
  reportToken: { field: string; fallback: string };
  reportUrl: { field: string; fallback: string };
  /** What a name must match, and the rule in words. */
  namePattern: RegExp;
  nameRule: string;
  /** Whether the system tells names apart by case only (GitHub does not). */
  caseSensitive: boolean;
  /** How many parameters one run may carry, the token's and URL's included. */
  max?: { count: number; source: string };
}

/** Names no object of ours is given (templates drop them): refused rather than lost. */
const UNUSABLE_NAMES = ['__proto__', 'constructor', 'prototype'];

/** Reads the parameters of a method; throws naming the field. */
export function readScmParameters(raw: Record<string, unknown>, rules: ParameterRules): ScmParameters {
  const checkName = (field: string, name: string) => {
    if (!rules.namePattern.test(name) || UNUSABLE_NAMES.includes(name)) {
      fail(field, `is not a valid name: names must be ${rules.nameRule}`);
    }
  };
  const reportName = ({ field, fallback }: { field: string; fallback: string }) => {
    const value = raw[field] ?? fallback;
    if (typeof value !== 'string' || value.includes('{{')) {
      return fail(field, 'must be a name, without placeholders');
    }
    checkName(field, value);
    return value;
  };
  const reportTokenName = reportName(rules.reportToken);
  const reportUrlName = reportName(rules.reportUrl);
  const key = (text: string) => (rules.caseSensitive ? text : text.toLocaleLowerCase('en-US'));
  if (key(reportTokenName) === key(reportUrlName)) {
    fail(rules.reportUrl.field, `must differ from ${rules.reportToken.field} (${reportTokenName})`);
  }
  const reserved = [
    { field: rules.reportToken.field, name: reportTokenName, carries: 'report token' },
    { field: rules.reportUrl.field, name: reportUrlName, carries: 'report URL' },
  ];
  const templates = readStringMap(rules.field, raw[rules.field] as JsonValue | undefined);
  const names = Object.keys(templates);
  const seen = new Set<string>();
  for (const name of names) {
    const field = `${rules.field}.${name}`;
    checkName(field, name);
    for (const taken of reserved) {
      if (key(name) === key(taken.name)) {
        fail(field, `is the name ${taken.field} gives the run's ${taken.carries}; rename one of them`);
      }
    }
    if (seen.has(key(name))) {
      fail(field, 'differs from another name only by case, which the receiver ignores');
    }
    seen.add(key(name));
  }
  if (rules.max && names.length + 2 > rules.max.count) {
    fail(
      rules.field,
      `has ${names.length} entries; with ${reportTokenName} and ${reportUrlName} that makes ${names.length + 2}, more than the ${rules.max.count} ${rules.max.source}`,
    );
  }
  return { templates, reportTokenName, reportUrlName };
}

/** The parameters of one run: every template rendered to a string, then the token and URL. */
export function renderScmParameters(
  parameters: ScmParameters,
  context: InvocationContext,
): Record<string, string> {
  return {
    ...renderStringMap(parameters.templates, templateContextOf(context), 'text'),
    [parameters.reportTokenName]: context.run.reportToken,
    [parameters.reportUrlName]: context.run.reportUrl,
  };
}
