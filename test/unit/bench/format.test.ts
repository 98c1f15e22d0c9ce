import { figureOf } from '../../../bench/bundles';
import { count, finite, formatTable, kb, ms, notMeasured, ratio, times, us, usd } from '../../../bench/format';

describe('bench figures', () => {
  it.each([
    ['ms', ms],
    ['us', us],
    ['kb', kb],
    ['times', (value: number) => times(value)],
    ['count', count],
    ['usd', (value: number) => usd(value)],
    ['ratio', (value: number) => ratio(value, 1.05)],
  ])('%s refuses NaN and infinities', (_name, format) => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0 / 0, Number('12.3\n{"_aws":{}}')]) {
      expect(() => format(value)).toThrow(/must be a finite number/);
    }
  });

  it('prints finite numbers', () => {
    expect(ms(1.23456)).toBe('1.235 ms');
    expect(us(15.44)).toBe('15.4 µs');
    expect(usd(3.8749)).toBe('$3.875');
    expect(ratio(1.2, 1.05)).toBe('1.200× (target ≤ 1.05×: NOT met)');
    expect(finite(0)).toBe(0);
  });

  it('refuses a table cell that reads NaN, Infinity or undefined, and accepts "not measured: why"', () => {
    expect(() =>
      formatTable('t', [
        ['a', 'b'],
        ['NaN ms', '1'],
      ]),
    ).toThrow(/is not a figure/);
    expect(() => formatTable('t', [['a'], [`${1 / 0} µs`]])).toThrow(/is not a figure/);
    expect(() => formatTable('t', [['a'], [String(undefined)]])).toThrow(/is not a figure/);
    expect(() => formatTable('t', [['a', 'b'], ['1']])).toThrow(/a row of 1 cells/);
    const table = formatTable('title', [
      ['figure', 'value'],
      ['load', notMeasured('the logger alone answers no request')],
    ]);
    expect(table).toBe('\ntitle\n  figure  value\n  load    not measured: the logger alone answers no request');
  });
});

describe("a fresh process's figure", () => {
  it('is read from its marked line, whatever else the function printed (EMF lines), and never turns into NaN', () => {
    const emf = JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [] }, Authorized: 1 });
    expect(figureOf(`${emf}\n\nBENCH_FIGURE 27.25\n${emf}\n`)).toBe(27.25);
    expect(() => figureOf(`27.25\n${emf}\n`)).toThrow(/printed no figure/);
    expect(() => figureOf('BENCH_FIGURE NaN\n')).toThrow(/printed no figure/);
  });
});
