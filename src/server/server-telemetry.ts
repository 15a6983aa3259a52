// The server's own series: the verdicts of /readyz as a gauge per component (the server is its
// only writer, from the same evaluation /readyz answers with), and its connections.
import { Counter, Gauge } from 'prom-client';
import type { MetricsRegistry } from '../telemetry/metrics-registry.js';
import type { ShedReason } from './connection-limit.js';

export type ComponentName = 'docker' | 'sink' | 'checkpoint' | 'capture' | 'server';
const COMPONENTS: readonly ComponentName[] = ['docker', 'sink', 'checkpoint', 'capture', 'server'];

const SHED_REASONS: readonly ShedReason[] = ['idle_evicted', 'refused'];

export class ServerTelemetry {
  private readonly componentHealth: Gauge<'component'>;
  private readonly connectionsShed: Counter<'reason'>;
  private readonly registry: MetricsRegistry;

  constructor(registry: MetricsRegistry) {
    this.registry = registry;
    this.componentHealth = new Gauge({ name: 'log_capturer_component_health', help: '1 when the component is healthy, 0 when not.', labelNames: ['component'] as const, registers: [registry] });
    for (const component of COMPONENTS) this.componentHealth.set({ component }, 0);
    this.connectionsShed = new Counter({
      name: 'log_capturer_server_connections_shed_total',
      help: 'Connections to this server closed because server.max_connections was reached: idle_evicted = an idle one closed to make room, refused = a new one closed at once (all were busy).',
      labelNames: ['reason'] as const, registers: [registry],
    });
    for (const reason of SHED_REASONS) this.connectionsShed.inc({ reason }, 0);
  }

  /** The number of open connections, read at each scrape. */
  trackConnections(open: () => number): void {
    new Gauge({ name: 'log_capturer_server_connections', help: 'Connections open to this server (at most server.max_connections).', registers: [this.registry], collect() {
      this.set(open());
    } });
  }

  connectionShed(reason: ShedReason): void {
    this.connectionsShed.inc({ reason });
  }

  health(component: ComponentName, healthy: boolean): void {
    this.componentHealth.set({ component }, healthy ? 1 : 0);
  }
}
