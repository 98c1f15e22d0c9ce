import type { z } from 'zod';
import type { ErrorDetails } from '../domain/errors';
import { ValidationFailed } from '../domain/errors';
import { maskTokenShapes } from '../domain/token';

/** The `error_details` key for an issue about the input as a whole (e.g. a body that is an array). */
export const WHOLE_INPUT = 'body';
/** The reason for a body that is JSON but not an object. */
export const NOT_AN_OBJECT = 'must be a JSON object';

/**
 * Parses `input` with `schema`, or throws ValidationFailed carrying every issue at once, keyed by
 * top-level field (API.md §3: `{"<field>": ["<reason>", …]}`).
 */
export function parseWith<S extends z.ZodType>(schema: S, input: unknown, wholeInput = WHOLE_INPUT): z.output<S> {
  const result = schema.safeParse(input);
  if (!result.success) throw new ValidationFailed(toErrorDetails(result.error.issues, wholeInput));
  return result.data;
}

/**
 * zod issues → `error_details`. Keys are top-level fields; a nested issue keeps its place in the
 * reason (`customer[0]: must be one of read, write`) so the client knows what to fix.
 *
 * The details are gathered in a Map, never in a plain object: a field is named by the client, and
 * a name such as `__proto__` or `toString` would otherwise find what every object inherits. Names
 * are echoed back, so anything in them shaped like an API key is masked.
 */
export function toErrorDetails(issues: readonly z.core.$ZodIssue[], wholeInput = WHOLE_INPUT): ErrorDetails {
  const details = new Map<string, string[]>();
  const add = (field: string, reason: string) => {
    const key = maskTokenShapes(field);
    const reasons = details.get(key) ?? [];
    const masked = maskTokenShapes(reason);
    if (!reasons.includes(masked)) reasons.push(masked);
    details.set(key, reasons);
  };
  for (const issue of issues) {
    const [head, ...rest] = issue.path;
    if (issue.code === 'unrecognized_keys') {
      const reason = issue.message.startsWith('Unrecognized key') ? 'is not a known field' : issue.message;
      for (const key of issue.keys) {
        if (head === undefined) add(key, reason);
        else add(String(head), `${formatPath([...rest, key])}: ${reason}`);
      }
      continue;
    }
    const reason = describe(issue, head === undefined);
    if (head === undefined) add(wholeInput, reason);
    else add(String(head), rest.length > 0 ? `${formatPath(rest)}: ${reason}` : reason);
  }
  // fromEntries defines own properties: `{"__proto__": […]}` is an ordinary entry of the result.
  return Object.fromEntries(details);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : `${i === 0 ? '' : '.'}${String(segment)}`)).join('');
}

/** A human reason for the common issue kinds; zod's own message for the rest and for custom ones. */
function describe(issue: z.core.$ZodIssue, isWholeInput: boolean): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (isWholeInput && issue.expected === 'object') return NOT_AN_OBJECT;
      if (!issue.message.startsWith('Invalid input')) return issue.message;
      const expected = issue.expected === 'record' ? 'object' : issue.expected;
      return `must be ${/^[aeiou]/.test(expected) ? 'an' : 'a'} ${expected}`;
    }
    case 'invalid_value':
      return issue.message.startsWith('Invalid') ? `must be one of ${issue.values.map(String).join(', ')}` : issue.message;
    case 'too_big':
      return issue.message.startsWith('Too big')
        ? `must be at most ${String(issue.maximum)}${issue.origin === 'string' ? ' characters' : ''}`
        : issue.message;
    case 'too_small':
      return issue.message.startsWith('Too small') ? `must be at least ${String(issue.minimum)}` : issue.message;
    default:
      return issue.message;
  }
}
