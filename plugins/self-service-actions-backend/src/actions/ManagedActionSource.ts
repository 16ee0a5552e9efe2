import { LoggerService } from '@backstage/backend-plugin-api';
import { ManagedActionRecord, ManagedActionStore, recordStamp } from '../database/ManagedActionStore';
import { ManagedActionsSettings } from './managedActionsConfig';
import { ReadActionsOptions } from './readActions';
import { readManagedAction } from './readManagedAction';
import { ActionDefinition, ActionSource } from './types';

/** One stored version, read once: the action, or why it cannot be used. */
interface ReadVersion {
  /** Version and creation time (ManagedActionStore.stampOf). */
  stamp: string;
  action?: ActionDefinition;
}

/**
 * The actions of app-config, then those owners manage through the API. Each request reads the
 * managed ones from the database (their ids and versions for a list), so a change made through
 * any instance is what the next request on every instance uses; each version is parsed and
 * validated once per instance and kept while it is current.
 *
 * A stored action that no longer reads (a secret it names or its URL prefix was removed from
 * config, its method's module uninstalled) is left out, with one warning per version, until its
 * owner fixes it: it cannot be run, and its editor still opens (the raw row is read for that).
 */
export class ManagedActionSource implements ActionSource {
  private readonly parsed = new Map<string, ReadVersion>();
  /** Versions being read and parsed: concurrent first runs of a new version parse it once. */
  private readonly reading = new Map<string, Promise<ActionDefinition | undefined>>();

  constructor(
    private readonly options: {
      config: ActionSource;
      store: ManagedActionStore;
      settings: ManagedActionsSettings;
      readOptions: Omit<ReadActionsOptions, 'ajv'>;
      logger: LoggerService;
    },
  ) {}

  /** Whether owner-managed actions are on: without allowedUrls none is read or created. */
  get enabled(): boolean {
    return this.options.settings.allowedUrls !== undefined;
  }

  async list(): Promise<ActionDefinition[]> {
    const fromConfig = await this.options.config.list();
    if (!this.enabled) {
      return fromConfig;
    }
    const versions = await this.options.store.stamps();
    const stale = versions.filter(({ id, stamp }) => this.parsed.get(id)?.stamp !== stamp);
    for (const record of await this.options.store.getMany(stale.map(({ id }) => id))) {
      this.remember(record);
    }
    const current = new Set(versions.map(({ id }) => id));
    for (const id of this.parsed.keys()) {
      if (!current.has(id)) this.parsed.delete(id);
    }
    // An id app-config took since (an admin added it) is app-config's: get() answers that one.
    const configIds = new Set(fromConfig.map(action => action.id));
    const managed = versions
      .filter(({ id }) => !configIds.has(id))
      .map(({ id }) => this.parsed.get(id)?.action)
      .filter((action): action is ActionDefinition => Boolean(action));
    return [...fromConfig, ...managed];
  }

  async get(id: string): Promise<ActionDefinition | undefined> {
    const fromConfig = await this.options.config.get(id);
    if (fromConfig || !this.enabled) {
      return fromConfig;
    }
    // The version alone while it is the one parsed here (a small read per run); the whole
    // definition only when it changed.
    const known = this.parsed.get(id);
    const stamp = await this.options.store.stampOf(id);
    if (stamp === undefined) {
      this.parsed.delete(id);
      return undefined;
    }
    if (known?.stamp === stamp) {
      return known.action;
    }
    const key = `${id}@${stamp}`;
    let reading = this.reading.get(key);
    if (!reading) {
      reading = this.options.store
        .get(id)
        .then(record => (record ? this.remember(record) : undefined))
        .finally(() => this.reading.delete(key));
      this.reading.set(key, reading);
    }
    return reading;
  }

  async isCurrent(action: ActionDefinition): Promise<boolean> {
    if (action.source !== 'api') return true;
    return (await this.options.store.lockedStampOf(action.id)) === action.stamp;
  }

  /** Reads a stored version (which passed the same checks when it was saved). */
  private remember(record: ManagedActionRecord): ActionDefinition | undefined {
    let action: ActionDefinition | undefined;
    try {
      action = {
        ...readManagedAction(record.definition, record, { ...this.options.readOptions, settings: this.options.settings }),
        stamp: recordStamp(record),
      };
    } catch (error) {
      this.options.logger.warn(
        `Self-service action ${record.id} (version ${record.version}, managed through the API) cannot be used until it is changed: ${(error as Error).message}`,
      );
    }
    this.parsed.set(record.id, { stamp: recordStamp(record), action });
    return action;
  }
}
