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
  const columns = ['dispatch_lease_until', 'dispatch_attempts', 'has_secret_inputs'];
  if (knex.client.config.client.includes('sqlite')) {
    // SQLite's own DROP COLUMN: knex's dropColumn rebuilds the table, and inside the
    // migration's transaction foreign keys stay on, so dropping the old table would delete
    // every run's steps and tokens.
    await knex.raw('drop index runs_dispatch_idx');
    for (const column of columns) {
      await knex.raw(`alter table runs drop column ${column}`);
    }
    return;
  }
  await knex.schema.alterTable('runs', table => {
    table.dropIndex(['dispatch_status', 'dispatch_lease_until'], 'runs_dispatch_idx');
    table.dropColumns(...columns);
  });
};
