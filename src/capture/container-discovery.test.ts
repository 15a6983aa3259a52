// Discovery fed with the real events of both daemons, recorded for the same steps (src/docker/
// fixtures/*-events.ndjson: run -d, stop, start, restart, kill, rm, then an attached run --rm):
// Podman says `remove` (Docker `destroy`), sends `init`, `attach`, `cleanup` and bursts of `sync`,
// and `restart` BEFORE its `die`. What the engine is told must mean the same on both.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { ContainerInfo } from '../docker/container-info.js';
import type { ApiStream, ContainerSummary, DaemonVersion, DockerApi, LogQuery } from '../docker/docker-api.js';
import { createMetricsRegistry } from '../telemetry/metrics-registry.js';
import { silentLogger } from '../utils/logger.js';
import { CaptureTelemetry } from './capture-telemetry.js';
import { ContainerDiscovery } from './container-discovery.js';
import type { DiscoveryListener } from './container-discovery.js';
import { ContainerSelector } from './container-selector.js';

interface RecordedEvent {
  Action: string;
  Actor: { ID: string; Attributes: { name: string } };
}

function recorded(file: string): { text: string; events: RecordedEvent[] } {
  const text = readFileSync(new URL(`../docker/fixtures/${file}`, import.meta.url), 'utf8');
  return { text, events: text.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as RecordedEvent) };
}

/**
 * A daemon with no containers listed whose events stream replays a recording, one event every few
 * milliseconds (as they came: an inspection started by one is over before the next), then stays open.
 */
class ReplayingDaemon implements DockerApi {
  readonly address = 'replay://';
  readonly lastAnswerAt = 1;
  private readonly names = new Map<string, string>();

  constructor(private readonly text: string, events: RecordedEvent[]) {
    for (const event of events) this.names.set(event.Actor.ID, event.Actor.Attributes.name);
  }

  version(): Promise<DaemonVersion> {
    return Promise.resolve({ version: '', apiVersion: '', platform: '', components: [] });
  }

  listContainers(): Promise<ContainerSummary[]> {
    return Promise.resolve([]);
  }

  inspect(id: string): Promise<ContainerInfo> {
    return Promise.resolve({ id, name: this.names.get(id) ?? '', image: 'busybox', labels: {}, createdAt: '', tty: false, logDriver: 'k8s-file', logOptions: {}, running: true });
  }

  openLogs(_id: string, _query: LogQuery): Promise<ApiStream> {
    return Promise.reject(new Error('not used'));
  }

  openEvents(): Promise<ApiStream> {
    const stream = new PassThrough();
    const lines = this.text.split('\n').filter((line) => line !== '');
    const next = (): void => {
      const line = lines.shift();
      if (line === undefined || stream.destroyed) return;
      stream.write(`${line}\n`);
      setTimeout(next, 3);
    };
    next();
    return Promise.resolve(stream);
  }
}

/** What the engine is told, by container name, in order. */
async function toldFor(file: string): Promise<string[]> {
  const { text, events } = recorded(file);
  const docker = new ReplayingDaemon(text, events);
  const told: string[] = [];
  const tracked = new Map<string, string>();
  const name = (id: string): string => tracked.get(id) ?? id;
  const listener: DiscoveryListener = {
    isTracked: (id) => tracked.has(id),
    listed: () => undefined,
    found: (info) => {
      tracked.set(info.id, info.name);
      told.push(`found ${info.name}`);
    },
    started: (id) => told.push(`started ${name(id)}`),
    stopped: (id) => told.push(`stopped ${name(id)}`),
    destroyed: (id) => {
      told.push(`destroyed ${name(id)}`);
      tracked.delete(id);
    },
    renamed: (id, newName) => told.push(`renamed ${name(id)} ${newName}`),
    firstListing: () => undefined,
    connected: () => undefined,
  };
  const discovery = new ContainerDiscovery({
    docker,
    selector: new ContainerSelector({ includeNames: [], excludeNames: [], includeImages: [], excludeImages: [], includeLabels: [], excludeLabels: [], optOutLabel: 'log-capturer.enable' }, undefined),
    telemetry: new CaptureTelemetry(createMetricsRegistry({ defaultMetrics: false }), silentLogger()),
    logger: silentLogger(),
  });
  await discovery.start(listener);
  const cap = Date.now() + 60_000;
  while (!told.includes('destroyed ev2') && Date.now() < cap) await new Promise((resolve) => setTimeout(resolve, 5));
  await discovery.stop();
  return told;
}

void describe('ContainerDiscovery with the daemons\' own events', () => {
  void it('Podman 4.3.1: remove, die, restart before die; init, attach, cleanup and sync change nothing', async () => {
    const { events } = recorded('podman-4.3.1-events.ndjson');
    const actions = new Set(events.map((e) => e.Action));
    for (const action of ['init', 'attach', 'cleanup', 'sync', 'remove', 'restart', 'die']) assert.ok(actions.has(action), `the recording has ${action}`);
    assert.deepEqual(await toldFor('podman-4.3.1-events.ndjson'), [
      'found ev1', // start (the first event naming it that discovery acts on)
      'stopped ev1', // stop: die, cleanup, cleanup
      'started ev1', // start: init, start
      'started ev1', 'stopped ev1', 'started ev1', // restart: restart, die, init, start
      'stopped ev1', // kill: kill, die, cleanup
      'destroyed ev1', // rm: remove
      'found ev2', 'stopped ev2', 'destroyed ev2', // run --rm: create, init, attach, start, die, remove
    ]);
  });

  void it('Docker 20.10: the same steps tell the engine the same things', async () => {
    assert.deepEqual(await toldFor('docker-20.10-events.ndjson'), [
      'found ev1',
      'stopped ev1', // stop: kill, die, stop
      'started ev1',
      'stopped ev1', 'started ev1', 'started ev1', // restart: kill, die, stop, start, restart
      'stopped ev1', // kill: kill, die
      'destroyed ev1', // rm: destroy
      'found ev2', 'stopped ev2', 'destroyed ev2',
    ]);
  });
});
