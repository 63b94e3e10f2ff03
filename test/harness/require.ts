import { describe, it } from 'vitest';

/**
 * Declares tests that need a real engine. When the engine is missing, under CI=true the suite
 * fails with the command that installs it; outside CI it is skipped, and the skip names the command.
 */
export function describeWith<T>(
  what: string,
  found: T | null | undefined,
  install: string,
  body: (found: T) => void,
): void {
  if (found) {
    describe(what, () => body(found));
  } else if (process.env.CI) {
    describe(what, () => {
      it(`needs ${what}`, () => {
        throw new Error(`${what} is not installed: run \`${install}\``);
      });
    });
  } else {
    // Outside CI only: a developer without the engine still runs everything else.
    describe.skip(`${what} (not installed: run \`${install}\`)`, () => body(found as T));
  }
}
