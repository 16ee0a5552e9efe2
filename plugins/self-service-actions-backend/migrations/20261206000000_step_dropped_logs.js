// @ts-check

/**
 * How many of a step's log lines were dropped to keep a run within its caps
 * (report.maxLogBytesPerRun, the oldest lines of the run first, and report.maxLogLinesPerStep),
 * so the run page can say that earlier lines are missing rather than show a log that seems
 * whole. Steps stored before it dropped none that anyone counted: 0.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('run_steps', table => {
    table
      .integer('dropped_log_lines')
      .notNullable()
      .defaultTo(0)
      .comment('Log lines of the step dropped by the caps (oldest first)');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client.includes('sqlite')) {
    // SQLite's own DROP COLUMN (see 20261122010000_dispatch_lease.js).
    await knex.raw('alter table run_steps drop column dropped_log_lines');
    return;
  }
  await knex.schema.alterTable('run_steps', table => {
    table.dropColumn('dropped_log_lines');
  });
};
