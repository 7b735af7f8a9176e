import type { Reporter, TestModule } from 'vitest/node';

/**
 * Prints one plain closing line, `tests: N passed, N failed` (and skipped), after vitest's own
 * summary, so CI logs state the outcome in a form any reader can parse.
 */
export default class SummaryReporter implements Reporter {
  #line = '';

  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') passed++;
        else if (state === 'failed') failed++;
        else skipped++;
      }
    }
    this.#line = `tests: ${passed} passed, ${failed} failed, ${skipped} skipped`;
  }

  // The default reporter prints its summary in onFinished; ours comes after it, as the last line.
  onFinished(): void {
    if (this.#line) setImmediate(() => process.stdout.write(`\n${this.#line}\n`));
  }
}
