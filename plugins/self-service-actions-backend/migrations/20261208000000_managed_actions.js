// @ts-check

/**
 * Owner-managed actions (DESIGN §12): definitions created through the API, stored as the JSON
 * their owners saved. Header values hold only `{{ secrets.NAME }}` references, resolved from
 * config at send time, so no secret is stored here. `version` counts changes (`If-Match`).
 * Runs gain `test`: a test-fire of an action by its owner (DESIGN §16), kept out of lists.
 *
 * @param {import('knex').Knex} knex
 */
exports.up = async function up(knex) {
  await knex.schema.createTable('managed_actions', table => {
    table.comment('Actions created through the API by their owners');
    table.string('id', 100).primary().notNullable().comment('The action id ([a-z0-9-])');
    table.text('definition').notNullable().comment('The definition as saved (JSON), secrets only by reference');
    table.integer('version').notNullable().comment('Counted up by every change');
    table.string('created_by', 255).notNullable().comment('User entity ref of the creator');
    table.timestamp('created_at', { useTz: true, precision: 3 }).notNullable();
    table.string('updated_by', 255).notNullable().comment('User entity ref of the last change');
    table.timestamp('updated_at', { useTz: true, precision: 3 }).notNullable();
  });
  await knex.schema.alterTable('runs', table => {
    table
      .boolean('test')
      .notNullable()
      .defaultTo(false)
      .comment('A test-fire by the action owner; left out of lists unless asked for');
  });
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  if (knex.client.config.client.includes('sqlite')) {
    // SQLite's own DROP COLUMN (see 20261122010000_dispatch_lease.js).
    await knex.raw('alter table runs drop column test');
  } else {
    await knex.schema.alterTable('runs', table => {
      table.dropColumn('test');
    });
  }
  await knex.schema.dropTable('managed_actions');
};
