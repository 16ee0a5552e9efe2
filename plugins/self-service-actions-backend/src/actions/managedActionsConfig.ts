import { Config } from '@backstage/config';
import { normalizePrincipalRef } from '../access/principalRefs';

/** `selfServiceActions.managedActions` and `selfServiceActions.secrets`, read at start-up. */
export interface ManagedActionsSettings {
  /**
   * URL prefixes an owner-managed action may send to. Undefined: creating actions through the
   * API is off.
   */
  allowedUrls?: string[];
  /** Whether owner-managed webhooks may reach loopback, link-local and private addresses. */
  allowPrivateNetworks: boolean;
  /** Config secrets that owner-managed actions name as `{{ secrets.NAME }}`. */
  secrets: ReadonlyMap<string, ConfigSecret>;
}

/** A config secret, and whose actions may name it (any managed action without `owners`). */
export interface ConfigSecret {
  value: string;
  /** Normalised user and group refs. */
  owners?: string[];
}

/** What a secret's name may be: a `{{ secrets.NAME }}` reference must be unambiguous. */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads the settings; throws naming the setting when one is invalid, so start-up stops. */
export function readManagedActionsSettings(config: Config): ManagedActionsSettings {
  const root = config.getOptionalConfig('selfServiceActions');
  const managed = root?.getOptionalConfig('managedActions');
  const allowedUrls = managed?.getOptionalStringArray('allowedUrls');
  allowedUrls?.forEach((prefix, index) => {
    const where = `selfServiceActions.managedActions.allowedUrls[${index}]`;
    let url: URL;
    try {
      url = new URL(prefix);
    } catch {
      throw new Error(`${where} must be an http or https URL prefix, not ${JSON.stringify(prefix)}`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new Error(`${where} must be an http or https URL prefix, not ${JSON.stringify(prefix)}`);
    }
    if (prefix.includes('{{')) {
      throw new Error(`${where} cannot hold placeholders`);
    }
  });
  const secrets = new Map<string, ConfigSecret>();
  const secretsConfig = root?.getOptionalConfig('secrets');
  for (const name of secretsConfig?.keys() ?? []) {
    if (!SECRET_NAME.test(name)) {
      throw new Error(
        `selfServiceActions.secrets.${name}: a secret's name must be letters, digits and underscores`,
      );
    }
    const where = `selfServiceActions.secrets.${name}`;
    if (typeof secretsConfig!.getOptional(name) === 'string') {
      // getString refuses an empty value itself, naming the key.
      secrets.set(name, { value: secretsConfig!.getString(name) });
      continue;
    }
    const entry = secretsConfig!.getConfig(name);
    const owners = entry.getOptionalStringArray('owners')?.map(ref => {
      try {
        return normalizePrincipalRef(ref);
      } catch (error) {
        throw new Error(`${where}.owners: ${(error as Error).message}`);
      }
    });
    secrets.set(name, { value: entry.getString('value'), ...(owners ? { owners } : {}) });
  }
  return {
    // An empty list allows nowhere: the same as none, managed actions are off.
    allowedUrls: allowedUrls && allowedUrls.length > 0 ? allowedUrls : undefined,
    allowPrivateNetworks: managed?.getOptionalBoolean('allowPrivateNetworks') ?? false,
    secrets,
  };
}

/**
 * Whether `url` starts with one of the prefixes at a boundary: `https://hooks.example.com`
 * allows `https://hooks.example.com/restart` but not `https://hooks.example.com.evil.test`.
 */
export function isUrlAllowed(url: string, allowedUrls: string[]): boolean {
  return allowedUrls.some(prefix => {
    if (!url.startsWith(prefix)) return false;
    if (/[/?#]$/.test(prefix) || url.length === prefix.length) return true;
    return '/?#'.includes(url[prefix.length]);
  });
}
