// @ts-check

/**
 * Durable dispatch: a run's webhook is sent under a lease, so another instance can claim and
 * send a run whose instance died between storing it and sending it.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('runs', table => {
    table
      .timestamp('dispatch_lease_until', { useTz: true })
      .nullable()
      .comment('While dispatch_status is pending: no other instance sends the webhook before this');
    table
      .integer('dispatch_attempts')
      .notNullable()
      .defaultTo(0)
      .comment('How many times sending the webhook was started');
    table
      .boolean('has_secret_inputs')
      .notNullable()
      .defaultTo(false)
      .comment('Secret inputs were given (never stored): the webhook cannot be rebuilt');
    table.index(['dispatch_status', 'dispatch_lease_until'], 'runs_dispatch_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('runs', table => {
    table.dropIndex(['dispatch_status', 'dispatch_lease_until'], 'runs_dispatch_idx');
    table.dropColumn('dispatch_lease_until');
    table.dropColumn('dispatch_attempts');
    table.dropColumn('has_secret_inputs');
  });
};
