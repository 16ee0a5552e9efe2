// @ts-check

/**
 * Where a run was started: `api` (the REST API, which the plugin's pages use) or
 * `actions-registry` (an AI agent acting for a user through Backstage's actions registry, as
 * the MCP actions backend does). Shown on the run and in audit records.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('runs', table => {
    table
      .string('initiated_via', 32)
      .notNullable()
      .defaultTo('api')
      .comment('api or actions-registry: how the run was started');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client.includes('sqlite')) {
    // SQLite's own DROP COLUMN (see 20261122010000_dispatch_lease.js).
    await knex.raw('alter table runs drop column initiated_via');
    return;
  }
  await knex.schema.alterTable('runs', table => {
    table.dropColumn('initiated_via');
  });
};
