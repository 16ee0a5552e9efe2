import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';

/** Normalises a user or group ref (`team-a` means `group:default/team-a`). */
export function normalizePrincipalRef(ref: string): string {
  const parsed = parseEntityRef(ref, { defaultKind: 'group', defaultNamespace: 'default' });
  const kind = parsed.kind.toLocaleLowerCase('en-US');
  if (kind !== 'user' && kind !== 'group') {
    throw new Error(`"${ref}" is not a user or group ref`);
  }
  return stringifyEntityRef(parsed);
}
