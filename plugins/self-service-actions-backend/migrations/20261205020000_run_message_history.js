// @ts-check

/**
 * The messages a run showed, oldest first (JSON: `[{ "text", "at" }]`, the last 20): the run
 * page shows how a run got where it is, not only its latest message ("Job queued" → "Deploying
 * 3 of 5 pods" → "Rolled out").
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('runs', table => {
    table
      .text('messages')
      .notNullable()
      .defaultTo('[]')
      .comment('JSON list of { text, at } of the messages the run showed, oldest first, the last 20');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client.includes('sqlite')) {
    // SQLite's own DROP COLUMN (see 20261122010000_dispatch_lease.js).
    await knex.raw('alter table runs drop column messages');
    return;
  }
  await knex.schema.alterTable('runs', table => {
    table.dropColumn('messages');
  });
};
