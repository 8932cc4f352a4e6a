/**
 * Changes of an order's status as PostgreSQL announces them (channel `order_status`, trigger of migration 0019): one
 * LISTEN connection per process, and waiters keyed by order id — so a request can wait a bounded time for the
 * workflow (another process) to move an order on, without polling the table.
 */
import type postgres from 'postgres';
import type { OrderStatus } from '../domain/statuses';

export const orderStatusChannel = 'order_status';

export interface OrderStatusEvents {
  /**
   * Resolves with the order's status once a committed change sets one other than `from`, or null after `timeoutMs`.
   * Call it before the action that causes the change (a notification that arrives before the wait begins is not
   * kept); a late notification of the change that set `from` itself is passed over.
   */
  leaves(orderId: string, from: OrderStatus, timeoutMs: number): Promise<OrderStatus | null>;
}

type Waiter = { readonly from: OrderStatus; readonly done: (status: OrderStatus | null) => void };

export async function listenForOrderStatus(sql: postgres.Sql): Promise<OrderStatusEvents> {
  const waiters = new Map<string, Set<Waiter>>();
  // postgres.js keeps the LISTEN on a connection of its own and re-establishes it after a reconnect.
  await sql.listen(orderStatusChannel, (payload) => {
    const [orderId, status] = payload.split(' ') as [string, OrderStatus];
    for (const w of waiters.get(orderId) ?? []) if (w.from !== status) w.done(status);
  });
  return {
    leaves(orderId, from, timeoutMs) {
      return new Promise((resolve) => {
        const set = waiters.get(orderId) ?? new Set<Waiter>();
        waiters.set(orderId, set);
        const waiter: Waiter = {
          from,
          done(status) {
            clearTimeout(timer);
            set.delete(waiter);
            if (set.size === 0 && waiters.get(orderId) === set) waiters.delete(orderId);
            resolve(status);
          },
        };
        const timer = setTimeout(() => waiter.done(null), timeoutMs);
        set.add(waiter);
      });
    },
  };
}
