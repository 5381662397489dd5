import { constants } from "node:os";

const caughtSignals: NodeJS.Signals[] = ["SIGINT", "SIGTERM", "SIGHUP"];

/**
 * Ctrl-C, SIGTERM and SIGHUP while a command does work that must not be cut short (a build, a
 * bootstrap): instead of ending the process, a signal aborts `signal`, so the work stops and
 * cleans up; the command then exits with `exitCode()`. Until `release()`, later signals only
 * abort again: a second Ctrl-C does not cut the cleanup short.
 */
export class Interruption {
  private readonly controller = new AbortController();
  private first: NodeJS.Signals | undefined;
  private readonly onSignal = (signal: NodeJS.Signals) => {
    this.first ??= signal;
    this.controller.abort();
  };

  constructor() {
    for (const signal of caughtSignals) process.on(signal, this.onSignal);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** The first signal that arrived, or undefined when none did. */
  get receivedSignal(): NodeJS.Signals | undefined {
    return this.first;
  }

  /** The shell's code for death by the signal received: 128 + its number (130 for Ctrl-C). */
  exitCode(): number {
    return 128 + constants.signals[this.first ?? "SIGINT"];
  }

  /** From now on the signals end the process as usual. */
  release(): void {
    for (const signal of caughtSignals) process.off(signal, this.onSignal);
  }
}
