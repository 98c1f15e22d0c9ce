/**
 * How the bench prints its figures. Every figure is a finite number or says why it is not there
 * ("not measured: …"): a formatter given NaN or an infinity throws instead of printing it, and a
 * table refuses any cell that reads NaN, so a broken measurement stops the run where it happened.
 */

/** A figure that could not be taken, with the reason, printed as such. */
export const notMeasured = (why: string): string => `not measured: ${why}`;

/** `value`, or a throw naming the figure when it is NaN or infinite. */
export function finite(value: number, what = 'figure'): number {
  if (!Number.isFinite(value)) throw new Error(`${what} is ${value}: a bench figure must be a finite number`);
  return value;
}

export const ms = (value: number): string => `${finite(value, 'milliseconds').toFixed(3)} ms`;
export const us = (value: number): string => `${finite(value, 'microseconds').toFixed(1)} µs`;
export const kb = (bytes: number): string => `${(finite(bytes, 'bytes') / 1000).toFixed(1)} KB`;
export const times = (value: number, digits = 3): string => `${finite(value, 'ratio').toFixed(digits)}×`;
export const percent = (value: number): string => `${(finite(value, 'fraction') * 100).toFixed(0)} %`;
export const count = (value: number): string => finite(value, 'count').toLocaleString('en-US');
/** Dollars, with `digits` decimals (3 by default: tenths of a cent per million requests). */
export const usd = (value: number, digits = 3): string => `$${finite(value, 'price').toFixed(digits)}`;
export const ratio = (value: number, target: number): string =>
  `${times(value)} (target ≤ ${target}×: ${finite(value, 'ratio') <= target ? 'met' : 'NOT met'})`;

const NOT_A_NUMBER = /\bNaN\b|\bInfinity\b|\bundefined\b/;

/** A titled table, columns padded; throws when a cell is NaN, Infinity or undefined as text. */
export function formatTable(title: string, rows: readonly (readonly string[])[]): string {
  const width = rows[0]?.length ?? 0;
  for (const row of rows) {
    if (row.length !== width) throw new Error(`table "${title}": a row of ${row.length} cells in a table of ${width} columns`);
    for (const cell of row) {
      if (typeof cell !== 'string' || NOT_A_NUMBER.test(cell))
        throw new Error(`table "${title}": the cell "${String(cell)}" is not a figure`);
    }
  }
  const widths = (rows[0] ?? []).map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map(
    (row) =>
      `  ${row
        .map((cell, column) => cell.padEnd(widths[column]!))
        .join('  ')
        .trimEnd()}`,
  );
  return [`\n${title}`, ...lines].join('\n');
}
