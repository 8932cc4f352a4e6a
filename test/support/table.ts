import { expect, it } from 'vitest';

/**
 * A table-driven test of a function: one test per row [rule, input, expected], named by the rule (the CP/BR/RFC
 * clause the row proves), asserting that `fn(input)` is `expected` (toBe).
 */
export function itGivesEach<I, O>(fn: (input: I) => O, rows: Array<[rule: string, input: I, expected: O]>): void {
  it.each(rows)('%s', (_rule, input, expected) => {
    expect(fn(input)).toBe(expected);
  });
}
