/**
 * Names are shown in terminals (the CLI's tables), plain-text emails and the console. A control
 * character in one can rewrite an operator's terminal (ESC sequences, OSC 52 sets the clipboard),
 * start a forged line in an email (CR, LF), or reorder what is shown (bidirectional overrides).
 */

/**
 * What no name may contain (API.md §3): C0 controls, DEL, C1 controls, and the bidirectional
 * embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const FORBIDDEN_IN_NAMES = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

/**
 * What printed stored text shows escaped: the forbidden set, plus what is just as invisible or
 * line-breaking when printed but was never refused (data written before the rule, or an email
 * claim): the bidirectional marks (U+061C, U+200E, U+200F) and the line and paragraph separators
 * (U+2028, U+2029), which some mail readers break lines at.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const UNSAFE_TO_PRINT = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/gu;

export const CONTROL_CHARACTERS_REASON = 'must not contain control characters or bidirectional formatting characters';

/** True when `name` holds a character API.md §3 refuses in names. */
export function containsControlCharacters(name: string): boolean {
  return FORBIDDEN_IN_NAMES.test(name);
}

const codePoint = (char: string): string => char.codePointAt(0)!.toString(16).padStart(4, '0');

/**
 * `text` safe to print: every control, bidirectional formatting character and line separator as a
 * visible escape (`\u001b`), so stored text can neither act on a terminal nor start a line.
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(UNSAFE_TO_PRINT, (char) => `\\u${codePoint(char)}`);
}

/**
 * `JSON.stringify(value)` with the same characters as JSON escapes (`\u001b`): the same document
 * to a parser, but inert in a terminal. JSON.stringify escapes C0 itself, not DEL, C1 or the
 * bidirectional characters, and these can only occur inside strings.
 */
export function inertJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE_TO_PRINT, (char) => `\\u${codePoint(char)}`);
}

/**
 * An email address as the operator CLI and the dev issuer accept one: a pragmatic subset of
 * RFC 5321 (what SES and every mail provider accept), no quoting, no comments, no spaces, no
 * controls, so an address never carries a second recipient or a line of its own.
 */
const EMAIL_ADDRESS =
  /^(?!\.)(?!.*\.\.)[A-Za-z0-9_'+.-]{0,63}[A-Za-z0-9_+-]@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/;

export function isEmailAddress(email: string): boolean {
  return email.length <= 254 && EMAIL_ADDRESS.test(email);
}
