// @ts-check

/**
 * The detail of a run's error that only those who may see where its action sends may read: a
 * transport error's text ("connect ECONNREFUSED 10.0.3.7:8443") names internal addresses and
 * ports. Everyone else who may read the run reads only `error` ("The webhook could not be
 * reached").
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('runs', table => {
    table
      .text('error_detail')
      .nullable()
      .comment('Shown after error only to the action owners and admins (who may see its URL)');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client.includes('sqlite')) {
    // SQLite's own DROP COLUMN (see 20261122010000_dispatch_lease.js).
    await knex.raw('alter table runs drop column error_detail');
    return;
  }
  await knex.schema.alterTable('runs', table => {
    table.dropColumn('error_detail');
  });
};
