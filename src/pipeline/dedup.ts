/**
 * Remembers recent uplink ids (ChirpStack `deduplicationId`) with the promise of their durable write, so a
 * duplicate is dropped but acknowledged only once the original is durable. Bounded: oldest ids are forgotten.
 */
export class Dedup {
  private readonly seen = new Map<string, Promise<void>>();

  constructor(private readonly capacity = 100_000) {}

  /** Runs `process` unless `id` was seen; either way returns the promise of the original's durable write. */
  run(id: string, process: () => Promise<void>): { duplicate: boolean; durable: Promise<void> } {
    const earlier = this.seen.get(id);
    if (earlier) return { duplicate: true, durable: earlier };
    const durable = process();
    this.seen.set(id, durable);
    if (this.seen.size > this.capacity) this.seen.delete(this.seen.keys().next().value!);
    return { duplicate: false, durable };
  }
}
