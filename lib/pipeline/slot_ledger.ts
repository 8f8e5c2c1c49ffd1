/** A held slot; `release` gives it back, and calling it again does nothing. */
export interface SlotLease {
  release(): void;
}

/**
 * Counts the slots of each key (a pool credential, or a credential and model) against its cap:
 * in this process, or across instances (Redis leases).
 */
export interface SlotLedger {
  /** One of `cap` slots of `key`, or undefined when all are held. */
  take(key: string, cap: number): SlotLease | undefined | Promise<SlotLease | undefined>;
  /** `listener` hears of keys whose slots may have come free where this process cannot see. */
  onFreed(listener: (key: string) => void): void;
  close(): void;
}

/** Slots counted in this process alone. */
export class LocalLedger implements SlotLedger {
  readonly #held = new Map<string, number>();

  take(key: string, cap: number): SlotLease | undefined {
    const held = this.#held.get(key) ?? 0;
    if (held >= cap) return undefined;
    this.#held.set(key, held + 1);
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        const left = (this.#held.get(key) ?? 1) - 1;
        if (left === 0) this.#held.delete(key);
        else this.#held.set(key, left);
      },
    };
  }

  onFreed(): void {}

  close(): void {}
}
