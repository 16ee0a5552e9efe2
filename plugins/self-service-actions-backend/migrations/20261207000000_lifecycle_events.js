// @ts-check

/**
 * Lifecycle events (see src/events): an outbox written in the same statement or transaction as
 * the run change each event tells of, and one delivery per event and subscriber, which any
 * instance sends and retries. Runs count their events (`event_sequence`) so that each event
 * knows its place. No foreign keys: events outlive nothing they point at (runs are never
 * deleted), and a key check on every insert would cost the run's hot path for nothing.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.alterTable('runs', table => {
    table
      .integer('event_sequence')
      .notNullable()
      .defaultTo(0)
      .comment('Lifecycle events written for the run so far (the last one sequence)');
  });

  await knex.schema.createTable('run_events', table => {
    table.comment('Lifecycle events of runs (the outbox), written with the change they tell of');
    table.string('id', 36).primary().notNullable().comment('Event id (UUID), sent as webhook-id');
    table.string('run_id', 36).notNullable().comment('The run');
    table.integer('sequence').notNullable().comment("The event's place among its run's, from 1");
    table.string('type', 32).notNullable().comment('run.created, run.succeeded, ...');
    table.timestamp('created_at', { useTz: true }).notNullable().comment('When the change happened');
    table.string('run_status', 32).notNullable().comment("The run's status right after the change");
    table
      .timestamp('completed_at', { useTz: true })
      .nullable()
      .comment("The run's completion time right after the change");
    table.text('detail').nullable().comment('JSON of review, reason and elapsedMs, when the type has them');
    table.unique(['run_id', 'sequence'], { indexName: 'run_events_run_sequence_idx' });
  });

  await knex.schema.createTable('event_deliveries', table => {
    table.comment('One lifecycle event to one subscriber: at least once, retried until given up');
    table.bigIncrements('id').primary().comment('Delivery id');
    table.string('event_id', 36).notNullable().comment('The event (run_events.id)');
    table.string('subscriber_id', 64).notNullable().comment('The subscriber, by its configured id');
    table.string('run_id', 36).notNullable().comment("The event's run (orders a run's deliveries)");
    table.integer('sequence').notNullable().comment("The event's sequence (orders a run's deliveries)");
    table.string('status', 16).notNullable().comment('pending, delivered or failed');
    table.integer('attempts').notNullable().defaultTo(0).comment('Attempts so far');
    table
      .timestamp('next_attempt_at', { useTz: true })
      .notNullable()
      .comment('While pending: due then; while an attempt is under way, the end of its lease');
    table
      .timestamp('give_up_at', { useTz: true })
      .notNullable()
      .comment('A delivery still failing then is marked failed');
    table.timestamp('last_attempt_at', { useTz: true }).nullable().comment('When it was last sent');
    table.timestamp('delivered_at', { useTz: true }).nullable().comment('When a 2xx answered');
    table.integer('response_status').nullable().comment('HTTP status of the last answer');
    table.text('last_error').nullable().comment('Why the last attempt did not deliver');
    table.timestamp('created_at', { useTz: true }).notNullable().comment('When the event was written');
    table.index(['subscriber_id', 'status', 'next_attempt_at'], 'event_deliveries_due_idx');
    table.index(['subscriber_id', 'run_id', 'sequence'], 'event_deliveries_run_order_idx');
    table.index(['status', 'created_at'], 'event_deliveries_status_created_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('event_deliveries');
  await knex.schema.dropTable('run_events');
  if (knex.client.config.client.includes('sqlite')) {
    // SQLite's own DROP COLUMN (see 20261122010000_dispatch_lease.js).
    await knex.raw('alter table runs drop column event_sequence');
    return;
  }
  await knex.schema.alterTable('runs', table => {
    table.dropColumn('event_sequence');
  });
};
