/**
 * Undo partial work in reverse order: push an undo step after each step that succeeds;
 * on failure run them all (newest first), on success discard them.
 */
export class CleanupStack {
  private readonly undos: Array<() => void | Promise<void>> = [];

  push(undo: () => void | Promise<void>): void {
    this.undos.push(undo);
  }

  /** Runs every undo step even if some fail; returns the errors of those that failed. */
  async unwind(): Promise<unknown[]> {
    const errors: unknown[] = [];
    while (this.undos.length > 0) {
      const undo = this.undos.pop()!;
      try {
        await undo();
      } catch (err) {
        errors.push(err);
      }
    }
    return errors;
  }

  discard(): void {
    this.undos.length = 0;
  }
}
