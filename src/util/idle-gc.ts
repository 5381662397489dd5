import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/**
 * Returns memory to the system once the engine has been quiet for a while. V8 keeps its heap at
 * the size a burst of work grew it to (thousands of volumes listed or created), and an idle
 * engine should be small; a full collection after the burst brings it back down.
 * Call `touch()` on every request; the collection runs `quietMs` after the last one.
 */
export class IdleCollector {
  private readonly collect: () => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly quietMs = 2000) {
    // The young generation would otherwise grow to 16 MiB per semi-space under load and stay
    // that size; unlike --max-semi-space-size this flag works when set after start.
    setFlagsFromString("--semi-space-growth-factor=1");
    // --expose-gc can be turned on after start; the gc function then lives in a new context.
    setFlagsFromString("--expose-gc");
    this.collect = runInNewContext("gc") as () => void;
  }

  touch(): void {
    if (this.timer !== undefined) {
      this.timer.refresh();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.collect();
    }, this.quietMs);
    this.timer.unref();
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
