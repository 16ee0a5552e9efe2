// @ts-check

/**
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('runs', table => {
    table.comment('One run of a self-service action');
    table.string('id', 36).primary().notNullable().comment('Run id (UUID), also the webhook-id');
    table.string('action_id', 255).notNullable().comment('Id of the action that ran');
    table.string('action_name', 255).notNullable().comment('Action name when the run started');
    table.string('action_type', 16).notNullable().comment('Day2, Create or Delete');
    table
      .text('action_snapshot')
      .notNullable()
      .comment('JSON of the public action definition when the run started');
    table.string('entity_ref', 255).nullable().comment('Target entity ref; null for a global action');
    table.string('initiated_by', 255).notNullable().comment('User entity ref of the initiator');
    table.string('status', 32).notNullable().comment('inprogress, pending-approval or a final status');
    table.text('message').nullable().comment('Last one-line status text reported');
    table.text('error').nullable().comment('Why the run failed, when the plugin failed it');
    table.text('inputs').notNullable().comment('JSON of the inputs, secret inputs removed');
    table.text('links').notNullable().comment('JSON list of reported links');
    table.string('rerun_of', 36).nullable().comment('Id of the run this one re-runs');
    table.timestamp('started_at', { useTz: true }).nullable().comment('When the job started');
    table.timestamp('completed_at', { useTz: true }).nullable().comment('When the run became final');
    table.timestamp('created_at', { useTz: true }).notNullable().comment('When the run was stored');
    table.timestamp('updated_at', { useTz: true }).notNullable().comment('Last change');
    table
      .timestamp('expires_at', { useTz: true })
      .notNullable()
      .comment('Report tokens are refused after this; the sweep terminates the run then');
    table
      .timestamp('last_report_at', { useTz: true })
      .nullable()
      .comment('When the last report was accepted; null if none yet');
    table
      .string('dispatch_status', 16)
      .notNullable()
      .comment('pending, delivered, timed-out or failed: what became of the webhook');
    table.index(['entity_ref', 'created_at', 'id'], 'runs_entity_ref_created_idx');
    table.index(['action_id', 'created_at', 'id'], 'runs_action_id_created_idx');
    table.index(['initiated_by', 'created_at', 'id'], 'runs_initiated_by_created_idx');
    table.index(['created_at', 'id'], 'runs_created_idx');
    table.index(['status', 'expires_at'], 'runs_status_expires_idx');
  });

  await knex.schema.createTable('run_steps', table => {
    table.comment('Steps of a run, as reported by the external system');
    table
      .string('run_id', 36)
      .notNullable()
      .references('id')
      .inTable('runs')
      .onDelete('CASCADE')
      .comment('The run');
    table.integer('position').notNullable().comment('Order of first appearance, from 0');
    table.string('title', 255).notNullable().comment('Step title; steps merge by title');
    table.string('status', 32).notNullable().comment('Step status');
    table.timestamp('started_at', { useTz: true }).notNullable().comment('When the step started');
    table.timestamp('completed_at', { useTz: true }).nullable().comment('When the step ended');
    table.text('logs').notNullable().comment('JSON list of log lines (capped)');
    table.primary(['run_id', 'title']);
  });

  await knex.schema.createTable('run_tokens', table => {
    table.comment('Report tokens, stored only as SHA-256 hashes');
    table.string('token_hash', 64).primary().notNullable().comment('Hex SHA-256 of the token');
    table
      .string('run_id', 36)
      .notNullable()
      .references('id')
      .inTable('runs')
      .onDelete('CASCADE')
      .comment('The run the token reports on');
    table.timestamp('created_at', { useTz: true }).notNullable().comment('When it was minted');
    table.index(['run_id'], 'run_tokens_run_id_idx');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.dropTable('run_tokens');
  await knex.schema.dropTable('run_steps');
  await knex.schema.dropTable('runs');
};
