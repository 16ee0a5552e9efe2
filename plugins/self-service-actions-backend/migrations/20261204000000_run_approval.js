// @ts-check

/**
 * Built-in approvals: a run of an action with an `approval` block is held until enough
 * approvers decide. The approval (who may decide, how many approvals, the decisions so far)
 * is kept on the run, so a decision is written with the same compare-and-set as every other
 * change of the run: two last approvals at once cannot both release it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('runs', table => {
    table
      .text('approval')
      .nullable()
      .comment(
        'JSON: approvers, required, allowSelfApproval and the decisions; null when the action needs no approval',
      );
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client.includes('sqlite')) {
    // SQLite's own DROP COLUMN (see 20261122010000_dispatch_lease.js).
    await knex.raw('alter table runs drop column approval');
    return;
  }
  await knex.schema.alterTable('runs', table => {
    table.dropColumn('approval');
  });
};
