import type { z } from 'zod';
import type { ErrorDetails } from '../domain/errors';
import { ValidationFailed } from '../domain/errors';

/** The `error_details` key for an issue about the input as a whole (e.g. a body that is an array). */
export const WHOLE_INPUT = 'body';

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
 */
export function toErrorDetails(issues: readonly z.core.$ZodIssue[], wholeInput = WHOLE_INPUT): ErrorDetails {
  const details: ErrorDetails = {};
  const add = (field: string, reason: string) => {
    const reasons = (details[field] ??= []);
    if (!reasons.includes(reason)) reasons.push(reason);
  };
  for (const issue of issues) {
    const [head, ...rest] = issue.path;
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        if (head === undefined) add(key, 'is not a known field');
        else add(String(head), `${formatPath([...rest, key])}: is not a known field`);
      }
      continue;
    }
    const reason = describe(issue, head === undefined);
    if (head === undefined) add(wholeInput, reason);
    else add(String(head), rest.length > 0 ? `${formatPath(rest)}: ${reason}` : reason);
  }
  return details;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : `${i === 0 ? '' : '.'}${String(segment)}`)).join('');
}

/** A human reason for the common issue kinds; zod's own message for the rest and for custom ones. */
function describe(issue: z.core.$ZodIssue, isWholeInput: boolean): string {
  switch (issue.code) {
    case 'invalid_type': {
      if (isWholeInput && issue.expected === 'object') return 'must be a JSON object';
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
