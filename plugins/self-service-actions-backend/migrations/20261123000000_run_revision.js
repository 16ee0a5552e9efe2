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
};

/**
 * @param {import('knex').Knex} knex
 */
exports.down = async function down(knex) {
  await knex.schema.alterTable('runs', table => {
    table.dropColumn('revision');
  });
};
