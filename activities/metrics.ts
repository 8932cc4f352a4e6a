import { Counter, register } from 'prom-client';

/**
 * A counter of prom-client's default registry (what the process's /metrics exposes), created once per process however
 * many times a worker builds its activities (tests build them several times in one process).
 */
export function counterOf(name: string, help: string, labelNames: readonly string[] = []): Counter<string> {
  return (register.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames: [...labelNames] });
}
