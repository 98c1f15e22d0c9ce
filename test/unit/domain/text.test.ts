import { containsControlCharacters, escapeControlCharacters, inertJson, isEmailAddress } from '../../../lambdas/domain/text';

describe('names and printed text (API.md §3, issue 16 item 4)', () => {
  it('finds every C0 control, DEL, every C1 control and the bidirectional formatting characters', () => {
    const forbidden = [
      ...Array.from({ length: 0x20 }, (_, code) => code),
      ...Array.from({ length: 0x21 }, (_, offset) => 0x7f + offset),
      0x202a,
      0x202b,
      0x202c,
      0x202d,
      0x202e,
      0x2066,
      0x2067,
      0x2068,
      0x2069,
    ];
    for (const code of forbidden)
      expect([code.toString(16), containsControlCharacters(`a${String.fromCodePoint(code)}b`)]).toEqual([code.toString(16), true]);
    for (const text of [' ~', '\u00a0é', '\u2010\u2065\u206a', '🔑', 'מפתח']) expect(containsControlCharacters(text)).toBe(false);
  });

  it('prints controls, bidirectional characters and line separators as visible escapes', () => {
    const printed = escapeControlCharacters('a\u001b]52;c;eA==\u0007b\r\nBy: x\u202e\u2028\u200f\u009b');
    expect(printed).toBe('a\\u001b]52;c;eA==\\u0007b\\u000d\\u000aBy: x\\u202e\\u2028\\u200f\\u009b');
    expect(escapeControlCharacters('Billing sync – clé 🔑')).toBe('Billing sync – clé 🔑');
  });

  it('writes JSON a terminal cannot act on, which parses to the same value', () => {
    const value = { name: 'a\u001b[2J\u007f\u0085\u202e\u2066b\n', n: 1 };
    const json = inertJson(value);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    expect(json).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u);
    expect(JSON.parse(json)).toEqual(value);
  });

  it.each(['admin@demo.test', 'Bob.Smith+ci@Acme.co.uk', "o'neil@example.com", 'a_b-c@sub-domain.example.io'])(
    'accepts the email address %s',
    (email) => expect(isEmailAddress(email)).toBe(true),
  );

  it.each([
    'not-an-email',
    'a@b',
    'a b@c.test',
    'a@b.test\u001b]52;c;eA==\u0007',
    'a@b.test\r\nBcc: x@evil.test',
    'a,b@c.test',
    '"a"@c.test',
    'a@c.test>',
    '.a@c.test',
    'a..b@c.test',
    'a@-c.test',
    'a@c..test',
    `${'a'.repeat(65)}@c.test`,
    'a\u202e@c.test',
  ])('refuses %j as an email address', (email) => expect(isEmailAddress(email)).toBe(false));
});
