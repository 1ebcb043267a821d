import type { z } from './zod.js';

/**
 * A request that does not match the contract: `field` is the first offending field (or null for the body as
 * a whole), `code` is `invalid_<field>` with the field in snake_case like every code (`invalid_grace_seconds`
 * for `graceSeconds`; or `invalid_body`), `message` says what is expected.
 */
export class ContractViolation extends Error {
  constructor(
    readonly field: string | null,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ContractViolation';
  }
}

/** Parses `value` with a contract schema, or throws a ContractViolation that names the field and what it should be. */
export function parseWith<T extends z.ZodType>(schema: T, value: unknown, what = 'request body'): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  // A misspelt field ("limit" for "limits", "event" for "events") would otherwise change nothing with a 2xx.
  if (issue.code === 'unrecognized_keys') {
    const names = issue.keys.map((k) => `"${[...issue.path.map(String), k].join('.')}"`).join(', ');
    const message = `Not a field of this ${what}: ${names}. Check the spelling (GET /api/openapi.json lists the fields).`;
    throw new ContractViolation(String(issue.path[0] ?? issue.keys[0]), 'unknown_field', message);
  }
  const field = issue.path.length > 0 ? String(issue.path[0]) : null;
  // A form field sent twice arrives as a list (multer): "expected string" (or a choice's "expected one of") would not say
  // what to change.
  const sent = field !== null && issue.path.length === 1 ? (value as Record<string, unknown> | null)?.[field] : undefined;
  const notAList = (issue.code === 'invalid_type' && issue.expected !== 'array') || issue.code === 'invalid_value';
  if (field !== null && Array.isArray(sent) && notAList) {
    throw new ContractViolation(field, invalidCode(field), `Send "${field}" once: this ${what} has it ${sent.length} times.`);
  }
  if (field === null) throw new ContractViolation(null, 'invalid_body', `The ${what} is not what this endpoint takes: ${issue.message}.`);
  const where = issue.path.map(String).join('.');
  const message = /^(Invalid (input|option|string|number)|Expected|Too (big|small))/.test(issue.message)
    ? `"${where}": ${issue.message}.`
    : issue.message;
  throw new ContractViolation(field, invalidCode(field), message);
}

/** `invalid_<field>` in snake_case, as every error code is: `graceSeconds` is `invalid_grace_seconds`. */
function invalidCode(field: string): string {
  return `invalid_${field
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .toLowerCase()}`;
}
