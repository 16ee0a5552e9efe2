// @ts-check
'use strict';
// Reads the adopter's steps from the plugin READMEs and applies them to a stock app, so the
// READMEs and the stock-app test cannot drift apart. A step is a fenced code block preceded by
// a marker comment (invisible on GitHub and npm):
//
//   <!-- adopt <who>: run -->                          run each line of the block in the app root
//   <!-- adopt <who>: <file> imports -->               insert after the file's last import
//   <!-- adopt <who>: <file> before "<text>" -->       insert before the first line containing text
//   <!-- adopt <who>: <file> after "<text>" -->        insert after it
//   <!-- adopt <who>: <file> in "<a>" before|after "<b>" -->  the first <b> after the first <a>
//   <!-- adopt <who>: <file> append -->                append to the file
//
// <who> is `backend` (both frontend systems), `legacy` or `new` (one frontend system).
const fs = require('node:fs');
const path = require('node:path');

const MARKER = /^<!-- adopt (backend|legacy|new): (.+?) -->$/;

/**
 * @typedef {{ who: string, file: string, placement: string, anchors: string[], code: string[],
 *   source: string }} Step
 */

/** @param {string} spec */
function parsePlacement(spec) {
  if (spec === 'run') {
    return { file: '.', placement: 'run', anchors: [] };
  }
  const match = spec.match(/^(\S+) (imports|append|(?:in (".*?"|'.*?') )?(?:before|after) (".*?"|'.*?'))$/);
  if (!match) {
    throw new Error(`cannot read the placement "${spec}"`);
  }
  const [, file, rest, within, anchor] = match;
  if (rest === 'imports' || rest === 'append') {
    return { file, placement: rest, anchors: [] };
  }
  const unquote = (/** @type {string} */ s) => s.slice(1, -1);
  const placement = rest.includes(' before ') || rest.startsWith('before') ? 'before' : 'after';
  return { file, placement, anchors: [...(within ? [unquote(within)] : []), unquote(anchor)] };
}

/**
 * Every marked step of the given READMEs, in README order.
 * @param {string[]} readmes absolute paths
 * @returns {Step[]}
 */
function readSteps(readmes) {
  /** @type {Step[]} */
  const steps = [];
  for (const readme of readmes) {
    const lines = fs.readFileSync(readme, 'utf8').split('\n');
    for (let i = 0; i < lines.length; i++) {
      const marker = lines[i].trim().match(MARKER);
      if (!marker) {
        continue;
      }
      const fence = lines[i + 1] ?? '';
      if (!/^```\w*$/.test(fence.trim())) {
        throw new Error(`${path.basename(readme)}:${i + 1}: an adopt marker must be followed by a code block`);
      }
      const end = lines.findIndex((line, j) => j > i + 1 && line.trim() === '```');
      if (end < 0) {
        throw new Error(`${path.basename(readme)}:${i + 2}: unclosed code block`);
      }
      steps.push({
        who: marker[1],
        ...parsePlacement(marker[2]),
        code: lines.slice(i + 2, end),
        source: `${path.relative(path.resolve(__dirname, '../..'), readme)}:${i + 1}`,
      });
      i = end;
    }
  }
  return steps;
}

/** The steps for one frontend system: the backend's and that system's. */
function stepsFor(/** @type {Step[]} */ steps, /** @type {'legacy' | 'new'} */ variant) {
  return steps.filter(step => step.who === 'backend' || step.who === variant);
}

/** Lines an adopter adds or types (commands, code, config), blank lines and comments not counted. */
function countLines(/** @type {Step[]} */ steps) {
  return steps
    .flatMap(step => step.code)
    .filter(line => line.trim() !== '' && !/^\s*(#|\/\/)/.test(line)).length;
}

/** Index of the line after the last import declaration (multi-line imports included). */
function afterImports(/** @type {string[]} */ lines) {
  let end = -1;
  for (let i = 0; i < lines.length; i++) {
    if (/^import\s/.test(lines[i])) {
      let j = i;
      while (!/;\s*$/.test(lines[j]) && j < lines.length - 1) {
        j++;
      }
      end = j;
      i = j;
    }
  }
  if (end < 0) {
    throw new Error('no import declaration found');
  }
  return end + 1;
}

/**
 * Inserts a code step into its file under appDir. Throws when an anchor is not found, so a
 * README that no longer matches the stock app fails the test.
 * @param {string} appDir
 * @param {Step} step
 */
function applyCodeStep(appDir, step) {
  const file = path.join(appDir, step.file);
  const text = fs.readFileSync(file, 'utf8');
  if (step.placement === 'append') {
    fs.writeFileSync(file, `${text.replace(/\n*$/, '\n')}\n${step.code.join('\n')}\n`);
    return;
  }
  const lines = text.split('\n');
  let index;
  if (step.placement === 'imports') {
    index = afterImports(lines);
  } else {
    let from = 0;
    for (const anchor of step.anchors) {
      const found = lines.findIndex((line, i) => i >= from && line.includes(anchor));
      if (found < 0) {
        throw new Error(`${step.source}: "${anchor}" not found in ${step.file}`);
      }
      from = found + 1;
    }
    index = step.placement === 'before' ? from - 1 : from;
  }
  lines.splice(index, 0, ...step.code);
  fs.writeFileSync(file, lines.join('\n'));
}

module.exports = { readSteps, stepsFor, countLines, applyCodeStep };
