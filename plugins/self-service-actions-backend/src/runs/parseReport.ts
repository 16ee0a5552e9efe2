import { InputError } from '@backstage/errors';
import { StatusReport } from '@self-service-actions/plugin-self-service-actions-common';
import Ajv, { ValidateFunction } from 'ajv';
import { inputErrorWithFields, toFieldErrors } from '../actions/inputValidation';
import { RunSettings } from '../config';
import { reportSchemaWithLimits } from './reportSchema';
import { storableText } from '../database/rows';

/**
 * Parses a status report, writing U+FFFD for characters no database text column can hold, so
 * that a stray byte in a log line or message is stored as such instead of failing the report
 * (SQLite and PostgreSQL alike).
 */
function parseReportJson(text: string, scrub: (value: string) => string): unknown {
  return JSON.parse(text, (_key, value) => (typeof value === 'string' ? storableText(scrub(value)) : value));
}

const keepAsIs = (value: string) => value;

/** A report body judged: the report, or why it is refused. */
export type JudgedReport = { report: StatusReport; error?: undefined } | { error: InputError };

/** Reads status reports with this installation's limits on steps and log lines. */
export class ReportParser {
  private readonly validate: ValidateFunction;

  constructor(ajv: Ajv, settings: RunSettings) {
    this.validate = ajv.compile(reportSchemaWithLimits(settings));
  }

  /**
   * A report body as `POST /report` judges it: the report, or a 400 to answer. `scrub` takes
   * secrets out of every string once parsed: in the raw text, a JSON escape (`\u0041` for `A`)
   * would hide a secret from any search, and replacing text inside an escape could break JSON.
   */
  judge(body: string, scrub: (value: string) => string = keepAsIs): JudgedReport {
    try {
      const parsed = parseReportJson(body, scrub);
      return this.validate(parsed)
        ? { report: parsed as StatusReport }
        : { error: inputErrorWithFields('Invalid report', toFieldErrors(this.validate.errors)) };
    } catch {
      return { error: new InputError('The report body is not valid JSON') };
    }
  }

  /** An invocation's immediate answer, if it is a valid report (any other answer is not one). */
  parseAnswer(body: string | undefined, scrub: (value: string) => string = keepAsIs): StatusReport | undefined {
    if (!body) {
      return undefined;
    }
    const judged = this.judge(body, scrub);
    return judged.error ? undefined : judged.report;
  }
}
