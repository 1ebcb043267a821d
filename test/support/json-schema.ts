/**
 * A small JSON Schema checker for the subset the OpenAPI document uses ($ref to components, type (with
 * 'null' and 'integer'), properties, required, additionalProperties, items, enum, const, oneOf, anyOf,
 * minimum, maximum, pattern, format uuid/date-time). Deliberately independent of the platform's code, so
 * the document and the responses are judged by something that is neither.
 */
export type Schema = Record<string, unknown>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Problems found (empty when `value` matches `schema`), each with the JSON path where it is. */
export function validate(value: unknown, schema: Schema, root: { components?: { schemas?: Record<string, Schema> } }, at = '$'): string[] {
  if (typeof schema.$ref === 'string') {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = root.components?.schemas?.[name];
    if (!target) return [`${at}: unresolved $ref ${schema.$ref}`];
    return validate(value, target, root, at);
  }
  const problems: string[] = [];
  const t = typeOf(value);
  if (schema.type !== undefined) {
    const types = (Array.isArray(schema.type) ? schema.type : [schema.type]) as string[];
    const ok = types.some((want) => want === t || (want === 'number' && t === 'integer'));
    if (!ok) return [`${at}: expected ${types.join('|')}, got ${t} (${JSON.stringify(value)?.slice(0, 80)})`];
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value))
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  if ('const' in schema && schema.const !== value)
    problems.push(`${at}: expected ${JSON.stringify(schema.const)}, got ${JSON.stringify(value)}`);
  if (typeof value === 'number') {
    if (typeof schema.minimum === 'number' && value < schema.minimum) problems.push(`${at}: ${value} < minimum ${schema.minimum}`);
    if (typeof schema.maximum === 'number' && value > schema.maximum) problems.push(`${at}: ${value} > maximum ${schema.maximum}`);
  }
  if (typeof value === 'string') {
    if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(value))
      problems.push(`${at}: "${value}" does not match ${schema.pattern}`);
    if (schema.format === 'uuid' && !UUID.test(value)) problems.push(`${at}: "${value}" is not a uuid`);
    if (schema.format === 'date-time' && !DATE_TIME.test(value)) problems.push(`${at}: "${value}" is not a date-time`);
  }
  if (t === 'object' && (schema.properties || schema.required || schema.additionalProperties !== undefined)) {
    const o = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const k of (schema.required ?? []) as string[]) if (!(k in o)) problems.push(`${at}: missing required "${k}"`);
    for (const [k, v] of Object.entries(o)) {
      if (props[k]) problems.push(...validate(v, props[k]!, root, `${at}.${k}`));
      else if (schema.additionalProperties === false) problems.push(`${at}: property "${k}" is not in the schema`);
      else if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
        problems.push(...validate(v, schema.additionalProperties as Schema, root, `${at}.${k}`));
      }
    }
  }
  if (t === 'array' && schema.items)
    for (const [i, v] of (value as unknown[]).entries()) problems.push(...validate(v, schema.items as Schema, root, `${at}[${i}]`));
  for (const key of ['oneOf', 'anyOf'] as const) {
    const alternatives = schema[key] as Schema[] | undefined;
    if (!alternatives) continue;
    const matching = alternatives.filter((s) => validate(value, s, root, at).length === 0).length;
    if (key === 'oneOf' ? matching !== 1 : matching === 0) problems.push(`${at}: ${matching} of the ${key} alternatives match`);
  }
  return problems;
}
