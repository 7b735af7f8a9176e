/** Serialises the work on one dataset (archiving a batch, sealing a horizon, seeding a view) in this process. */
export class DatasetLocks {
  #tails = new Map<string, Promise<unknown>>();

  /** Runs `work` once every earlier holder of `dataset`'s lock is done. */
  run<T>(dataset: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(dataset) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    const tail = next.catch(() => undefined);
    this.#tails.set(dataset, tail);
    void tail.then(() => {
      if (this.#tails.get(dataset) === tail) this.#tails.delete(dataset);
    });
    return next;
  }
}
