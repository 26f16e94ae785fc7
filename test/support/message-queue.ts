/**
 * Messages in arrival order, awaited one at a time: `next()` resolves with the oldest unread
 * message, or waits for the next one, and fails after `timeoutMs`.
 */
export class MessageQueue<T> {
  private readonly items: T[] = [];
  private readonly waiters: Array<(item: T) => void> = [];

  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(item);
    } else {
      this.items.push(item);
    }
  }

  next(timeoutMs = 3000, what = 'message'): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) {
      return Promise.resolve(item);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(deliver), 1);
        reject(new Error(`no ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      const deliver = (value: T) => {
        clearTimeout(timer);
        resolve(value);
      };
      this.waiters.push(deliver);
    });
  }

  /** Messages received and not read yet. */
  get pending(): readonly T[] {
    return this.items;
  }
}
