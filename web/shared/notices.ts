// The page's two live regions: one role=alert for errors, one role=status for successes. They are
// in the page's HTML from the start, since screen readers announce changes only to live regions
// that already exist. Errors are never swallowed: whatever fails ends up here, in words.

import { byId, h } from "./dom";

/** Who showed an error, so that a later success of the same kind clears only its own error. */
export type Origin = "action" | "refresh";

export class Notices {
  private origin: Origin | null = null;

  constructor(
    private readonly alert: HTMLElement,
    private readonly status: HTMLElement,
  ) {}

  /** The regions `#alert` and `#status` of the page. */
  static fromPage(): Notices {
    return new Notices(byId("alert"), byId("status"));
  }

  error(err: unknown, origin: Origin = "action"): void {
    this.errorWith(origin, describe(err));
  }

  /** Shows `message`, or one made of text and elements (a button that offers what to do). */
  errorWith(origin: Origin, ...content: (Node | string)[]): void {
    this.alert.replaceChildren(...content);
    this.alert.hidden = false;
    this.origin = origin;
  }

  success(message: string): void {
    this.clear("action");
    this.status.textContent = message;
  }

  /** Clears the error if `origin` showed it. */
  clear(origin: Origin): void {
    if (this.origin !== origin) return;
    this.alert.replaceChildren();
    this.alert.hidden = true;
    this.origin = null;
  }

  /** Starting an action: the last action's messages no longer apply. */
  starting(): void {
    this.clear("action");
    this.status.textContent = "";
  }
}

/**
 * Waits for every task; each failure is shown (one paragraph each), so that one that fails
 * does not hide another.
 */
export async function settleAll(notices: Notices, tasks: Promise<void>[]): Promise<void> {
  const failures = (await Promise.allSettled(tasks)).flatMap((r) => (r.status === "rejected" ? [r.reason as unknown] : []));
  if (failures.length > 0) notices.errorWith("action", ...failures.map((f) => h("p", {}, describe(f))));
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** An event listener that runs `work` and shows its failure; events during a run are ignored. */
export function guarded<E extends Event>(notices: Notices, work: (event: E) => Promise<void>): (event: E) => void {
  let running = false;
  return (event) => {
    event.preventDefault();
    if (running) return;
    running = true;
    notices.starting();
    work(event)
      .catch((err: unknown) => notices.error(err))
      .finally(() => {
        running = false;
      });
  };
}
