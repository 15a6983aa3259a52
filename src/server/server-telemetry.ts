// The server's own series: the verdicts of /readyz as a gauge per component. The server is its
// only writer, from the same evaluation /readyz answers with.
import { Gauge } from 'prom-client';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';

export type ComponentName = 'docker' | 'sink' | 'checkpoint' | 'capture' | 'server';
const COMPONENTS: readonly ComponentName[] = ['docker', 'sink', 'checkpoint', 'capture', 'server'];

export class ServerTelemetry {
  private readonly componentHealth: Gauge<'component'>;

  constructor(registry: MetricsRegistry) {
    this.componentHealth = new Gauge({ name: 'log_capturer_component_health', help: '1 when the component is healthy, 0 when not.', labelNames: ['component'] as const, registers: [registry] });
    for (const component of COMPONENTS) this.componentHealth.set({ component }, 0);
  }

  health(component: ComponentName, healthy: boolean): void {
    this.componentHealth.set({ component }, healthy ? 1 : 0);
  }
}
