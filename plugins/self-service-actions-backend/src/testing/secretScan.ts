import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Knex } from 'knex';

/**
 * Everything the plugin's database holds, as text: `pg_dump` of the whole database on
 * PostgreSQL (what an operator's backup would hold), every row of every table on SQLite.
 */
export async function dumpDatabase(knex: Knex): Promise<string> {
  if (!knex.client.config.client.includes('sqlite')) {
    const [{ db }] = (await knex.raw('select current_database() as db')).rows;
    const { stdout } = await promisify(execFile)(
      'pg_dump',
      ['--data-only', '--host', '127.0.0.1', '--username', 'postgres', db],
      { maxBuffer: 256 * 1024 * 1024 },
    );
    return stdout;
  }
  const tables: Array<{ name: string }> = await knex.raw(
    "select name from sqlite_master where type = 'table'",
  );
  const rows = await Promise.all(tables.map(({ name }) => knex(name).select()));
  return JSON.stringify(rows);
}

/**
 * What the backend logs (its root logger at debug level writes to the console, and the
 * auditor writes audit events through it), captured for the test to scan.
 */
export function captureConsole(): { text(): string; restore(): void } {
  const lines: string[] = [];
  const spies = (['error', 'warn', 'info', 'debug', 'log'] as const).map(level =>
    jest.spyOn(console, level).mockImplementation((...args: unknown[]) => {
      lines.push(args.map(arg => (typeof arg === 'string' ? arg : JSON.stringify(arg))).join(' '));
    }),
  );
  return { text: () => lines.join('\n'), restore: () => spies.forEach(spy => spy.mockRestore()) };
}

/** Every form a secret may take once quoted: as is, JSON-escaped, URL-encoded. */
export function secretForms(secret: string): string[] {
  return [...new Set([secret, JSON.stringify(secret).slice(1, -1), encodeURIComponent(secret)])];
}
