// @ts-check

/**
 * A revision per run, bumped by every write: updates compare and set it, so a decision made
 * on a run that changed meanwhile is made again instead of overwriting the change.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('runs', table => {
    table
      .integer('revision')
      .notNullable()
      .defaultTo(0)
      .comment('Bumped by every write of the run; updates compare and set it');
  });
  if (knex.client.config.client === 'pg') {
    // Room on each page for the new version of an updated run: a report changes no indexed
    // column, so PostgreSQL can then update in place (HOT) instead of touching every index.
    await knex.raw('alter table runs set (fillfactor = 70)');
  }
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client === 'pg') {
    await knex.raw('alter table runs reset (fillfactor)');
  }
  if (knex.client.config.client.includes('sqlite')) {
    // SQLite's own DROP COLUMN (see 20261122010000_dispatch_lease.js): knex's would delete
    // every run's steps and tokens.
    await knex.raw('alter table runs drop column revision');
    return;
  }
  await knex.schema.alterTable('runs', table => {
    table.dropColumn('revision');
  });
};
