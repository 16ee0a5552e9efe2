import { InputError } from '@backstage/errors';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { JsonObject, JsonValue } from '@self-service-actions/plugin-self-service-actions-common';
import { InvocationContext } from '@self-service-actions/plugin-self-service-actions-node';

const PLACEHOLDER = /\{\{\s*([^{}\s]+)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*([^{}\s]+)\s*\}\}$/;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** What an HTTP header value may not hold: control characters (but tab) and beyond Latin-1. */
const HEADER_UNSAFE = /[^\t\x20-\x7e\x80-\xff]/;

/** Names that are roots of the template context; inputs may not use them. */
export const RESERVED_TEMPLATE_ROOTS = [
  'reportToken',
  'c8ReportToken',
  'run',
  'inputs',
  'entity',
  'user',
  'action',
] as const;

/** What placeholders can name. */
export interface TemplateContext {
  reportToken: string;
  run: { id: string; reportUrl: string };
  /** Every declared input; one that was not given is null. */
  inputs: JsonObject;
  entity?: JsonObject;
  user: { ref: string };
  action: { id: string; name: string; type: string };
}

/**
 * What an invocation's templates may name: the run, its inputs (every declared one, null when
 * not given), the entity with its ref, the user and the action.
 */
export function templateContextOf(context: InvocationContext): TemplateContext {
  const inputs: JsonObject = Object.fromEntries(context.declaredInputs.map(name => [name, null]));
  Object.assign(inputs, context.inputs);
  const { entity } = context;
  return {
    reportToken: context.run.reportToken,
    run: { id: context.run.id, reportUrl: context.run.reportUrl },
    inputs,
    entity: entity
      ? ({ ...entity, ref: stringifyEntityRef(entity) } as unknown as JsonObject)
      : undefined,
    user: context.user,
    action: context.action,
  };
}

/**
 * Where a rendered string goes, which decides how values are escaped. `text`: every value is
 * stringified, even a whole placeholder's (GitHub workflow inputs and GitLab variables are
 * strings).
 */
export type TemplateTarget = 'body' | 'url' | 'header' | 'text';

const NOTHING = Symbol('nothing');

function ownProperty(value: unknown, key: string): unknown {
  if (
    typeof value === 'object' &&
    value !== null &&
    Object.prototype.hasOwnProperty.call(value, key)
  ) {
    return (value as Record<string, unknown>)[key];
  }
  return NOTHING;
}

function resolve(context: TemplateContext, path: string): unknown {
  const [first, ...rest] = path.split('.');
  let value: unknown;
  if (first === 'c8ReportToken') {
    value = context.reportToken;
  } else if ((RESERVED_TEMPLATE_ROOTS as readonly string[]).includes(first)) {
    value = ownProperty(context, first);
  } else {
    // configure8 style: a bare input name
    value = ownProperty(context.inputs, first);
  }
  for (const key of rest) {
    if (value === NOTHING || value === undefined) {
      return NOTHING;
    }
    value = ownProperty(value, key);
  }
  return value === undefined ? NOTHING : value;
}

function asText(value: unknown): string {
  if (value === null) {
    return '';
  }
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

function renderString(
  template: string,
  context: TemplateContext,
  target: TemplateTarget,
): JsonValue {
  const whole = target === 'body' ? WHOLE_PLACEHOLDER.exec(template) : null;
  if (whole) {
    const value = resolve(context, whole[1]);
    return value === NOTHING ? template : (value as JsonValue);
  }
  // String.replace with a function is one pass: substituted text is never scanned again.
  const rendered = template.replace(PLACEHOLDER, (literal, path: string) => {
    const value = resolve(context, path);
    if (value === NOTHING) {
      return literal;
    }
    const text = asText(value);
    return target === 'url' ? encodeURIComponent(text) : text;
  });
  if (target === 'header' && /[\r\n]/.test(rendered)) {
    throw new InputError('A value placed in a webhook header contains a line break');
  }
  if (target === 'header' && HEADER_UNSAFE.test(rendered)) {
    // Node refuses to send these; refused here, before the run is stored.
    throw new InputError(
      'A value placed in a webhook header contains a character a header cannot hold (a control character or one beyond Latin-1)',
    );
  }
  return rendered;
}

/**
 * Renders a template: every `{{ path }}` is replaced. In a body, a string that is exactly
 * one placeholder takes the value with its JSON type; elsewhere values are stringified
 * (and URL-encoded in URLs). Placeholders that name nothing stay as written.
 */
export function renderTemplate(
  template: JsonValue,
  context: TemplateContext,
  target: TemplateTarget = 'body',
): JsonValue {
  if (typeof template === 'string') {
    return renderString(template, context, target);
  }
  if (Array.isArray(template)) {
    return template.map(item => renderTemplate(item, context, target));
  }
  if (template !== null && typeof template === 'object') {
    const result: JsonObject = {};
    for (const [key, value] of Object.entries(template)) {
      if (!FORBIDDEN_KEYS.has(key)) {
        result[key] = renderTemplate(value, context, target);
      }
    }
    return result;
  }
  return template;
}

/** Renders a map of strings (query parameters, headers). */
export function renderStringMap(
  templates: Record<string, string>,
  context: TemplateContext,
  target: TemplateTarget,
): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, value] of Object.entries(templates)) {
    if (!FORBIDDEN_KEYS.has(key)) {
      result[key] = String(renderString(value, context, target));
    }
  }
  return result;
}

/**
 * Refuses a value that would change the path of a URL template if placed in it: `.` or `..`,
 * or one holding `/` or `\\` (also once percent-decoded, as a server may decode it). Values in
 * the query are only encoded.
 */
export function checkUrlPathValues(urlTemplate: string, context: TemplateContext): void {
  const [path] = urlTemplate.split(/[?#]/, 1);
  for (const placeholder of placeholderPaths(path)) {
    const value = resolve(context, placeholder);
    if (value === NOTHING) continue;
    const text = asText(value);
    let decoded = text;
    try {
      decoded = decodeURIComponent(text);
    } catch {
      // not percent-encoded
    }
    if ([text, decoded].some(t => t === '.' || t === '..' || /[/\\]/.test(t))) {
      throw new InputError(
        `Input "${placeholder}" cannot be placed in the webhook URL's path: ${JSON.stringify(text)} is or holds a path separator or a dot segment`,
      );
    }
  }
}

/** The paths of every placeholder in a template. */
export function placeholderPaths(template: unknown): string[] {
  if (typeof template === 'string') {
    return Array.from(template.matchAll(PLACEHOLDER), match => match[1]);
  }
  if (Array.isArray(template)) {
    return template.flatMap(placeholderPaths);
  }
  if (template !== null && typeof template === 'object') {
    return Object.values(template).flatMap(placeholderPaths);
  }
  return [];
}

/** True when a template places the report token itself. */
export function placesReportToken(...templates: unknown[]): boolean {
  return templates
    .flatMap(placeholderPaths)
    .some(path => path === 'reportToken' || path === 'c8ReportToken');
}
