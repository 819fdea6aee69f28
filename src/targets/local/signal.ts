/** Wakes everyone waiting on it; a wait also ends by itself after its timeout. */
export class Signal {
  private waiters = new Set<() => void>();

  /**
   * Resolves on the next notify(), or after `timeoutMs`. `keepAlive: false` for background waits,
   * which must never keep the process alive on their own.
   */
  wait(timeoutMs: number, options: { keepAlive: boolean }): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      if (!options.keepAlive) timer.unref();
      this.waiters.add(done);
    });
  }

  notify(): void {
    for (const done of [...this.waiters]) done();
  }
}
