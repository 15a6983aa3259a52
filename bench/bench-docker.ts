// The bench's side of Docker: the private daemon, and the containers a scenario creates and
// removes. Only the bench creates or removes containers; the capturer under test only reads.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { TEST_IMAGE, dockerAnswers, testDocker } from '../test/support/docker.js';

const run = promisify(execFile);
const DAEMON_SCRIPT = new URL('../test/support/docker-daemon.sh', import.meta.url).pathname;

/** The label every bench container carries; its value is the run id, so cleanup finds exactly ours. */
export const BENCH_LABEL = 'lct.bench';

/**
 * A DOCKER_HOST that answers: the one in the environment if it answers, else the shared private
 * daemon, started through docker-daemon.sh when it is not running (never restarted or stopped).
 */
export async function ensureDaemon(): Promise<string> {
  const fromEnv = process.env.DOCKER_HOST;
  if (fromEnv && (await dockerAnswers(testDocker(fromEnv)))) return fromEnv;
  const { stdout } = await run('bash', [DAEMON_SCRIPT, 'start'], { env: { ...process.env, DOCKER_HOST: '' } });
  const host = /DOCKER_HOST=(\S+)/.exec(stdout)?.[1];
  if (!host) throw new Error(`docker-daemon.sh start printed no DOCKER_HOST: ${stdout}`);
  return host;
}

export async function daemonVersion(docker: Docker): Promise<string> {
  const version = await docker.version();
  return version.Version;
}

export interface BenchContainerOptions {
  runId: string;
  name: string;
  /** Run by busybox sh -c. */
  script: string;
  start?: boolean;
}

export async function createBenchContainer(docker: Docker, options: BenchContainerOptions): Promise<Docker.Container> {
  const container = await docker.createContainer({
    name: options.name,
    Image: TEST_IMAGE,
    Cmd: ['sh', '-c', options.script],
    Tty: false,
    Labels: { [BENCH_LABEL]: options.runId },
    HostConfig: { NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: {} } },
  });
  if (options.start !== false) await container.start();
  return container;
}

/** Creates many containers with bounded concurrency (a 2-core machine chokes on 200 at once). */
export async function createBenchContainers(
  docker: Docker,
  all: BenchContainerOptions[],
  concurrency = 6,
): Promise<Docker.Container[]> {
  const created: Docker.Container[] = new Array<Docker.Container>(all.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < all.length) {
      const index = next++;
      created[index] = await createBenchContainer(docker, all[index] as BenchContainerOptions);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, all.length) }, worker));
  return created;
}

export async function waitForExit(container: Docker.Container, timeoutMs: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`container ${container.id.slice(0, 12)} did not exit within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    const result = (await Promise.race([container.wait(), timeout])) as { StatusCode: number };
    return result.StatusCode;
  } finally {
    clearTimeout(timer);
  }
}

/** Removes every container of this run (found by label, so a crashed scenario's leftovers go too). */
export async function removeBenchContainers(docker: Docker, runId: string): Promise<number> {
  const found = await docker.listContainers({ all: true, filters: { label: [`${BENCH_LABEL}=${runId}`] } });
  let removed = 0;
  const queue = [...found];
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      try {
        await docker.getContainer(item.Id).remove({ force: true });
        removed += 1;
      } catch {
        // already gone
      }
    }
  };
  await Promise.all(Array.from({ length: 6 }, worker));
  return removed;
}

/** A line of `length` bytes (newline excluded) that a busybox script can print cheaply. */
export function paddedLine(length: number): string {
  return 'x'.repeat(length);
}

/**
 * The pid of the dockerd behind a unix socket started by docker-daemon.sh (its pidfile sits next
 * to the socket); undefined for any other daemon. Used to report dockerd's own CPU per line.
 */
export function daemonPid(dockerHost: string): number | undefined {
  if (!dockerHost.startsWith('unix://')) return undefined;
  try {
    const pid = Number(readFileSync(join(dirname(dockerHost.slice('unix://'.length)), 'dockerd.pid'), 'latin1').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The container directory (`<data-root>/containers`, where json-file logs live) of a daemon
 * started by docker-daemon.sh (its data-root is `data` next to the socket); undefined for any
 * other daemon. For the file route's row in the throughput scenario.
 */
export function daemonContainersDir(dockerHost: string): string | undefined {
  if (!dockerHost.startsWith('unix://')) return undefined;
  return join(dirname(dockerHost.slice('unix://'.length)), 'data', 'containers');
}
