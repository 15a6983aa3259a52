// The bench's side of Docker: the private daemon, and the containers a scenario creates and
// removes. Only the bench creates or removes containers; the capturer under test only reads.
import { execFile } from 'node:child_process';
import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type Docker from 'dockerode';
import { TEST_IMAGE, dockerAnswers, testDocker } from '../test/support/docker.js';
import { waitFor } from '../test/support/wait-for.js';

const run = promisify(execFile);
const DAEMON_SCRIPT = new URL('../test/support/docker-daemon.sh', import.meta.url).pathname;
const PODMAN_SCRIPT = new URL('../test/support/podman-service.sh', import.meta.url).pathname;

/** Which implementation of the Engine API the bench runs against (`--daemon`). */
export type BenchDaemonKind = 'docker' | 'podman';

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

/**
 * A Podman service that answers: PODMAN_HOST if it answers, else the private one of
 * podman-service.sh (its DIR: LOG_CAPTURER_PODMAN_DIR or the script's default), started when it
 * is not running (never restarted or stopped: `podman-service.sh stop DIR` ends it).
 */
export async function ensurePodman(): Promise<string> {
  const fromEnv = process.env.PODMAN_HOST;
  if (fromEnv && (await dockerAnswers(testDocker(fromEnv)))) return fromEnv;
  const { stdout } = await run('bash', [PODMAN_SCRIPT, 'start'], { env: process.env });
  const host = /PODMAN_HOST=(\S+)/.exec(stdout)?.[1];
  if (!host) throw new Error(`podman-service.sh start printed no PODMAN_HOST: ${stdout}`);
  return host;
}

/** `20.10.24+dfsg1` for Docker, `podman 4.3.1` for Podman (whose Version is its own). */
export async function daemonVersion(docker: Docker): Promise<string> {
  const version = await docker.version();
  const podman = version.Components?.some((component) => component.Name === 'Podman Engine') ?? false;
  return podman ? `podman ${version.Version}` : version.Version;
}

export interface BenchContainerOptions {
  runId: string;
  name: string;
  /** Run by busybox sh -c. */
  script: string;
  start?: boolean;
  /** Podman needs other host settings (default docker). */
  daemon?: BenchDaemonKind;
}

/**
 * Docker: json-file, no network. Podman (4.3, rootful here): no network (there is no bridge),
 * nofile and nproc limits it may set (root here may not raise them: its default asks for more),
 * and k8s-file, its own format, the only file driver it has: its compatible API accepts
 * `json-file` as an alias of k8s-file (the same file), `none`, and `journald` (where a journald
 * socket exists, not here); `local` is refused with 500 "invalid log driver".
 */
function benchHostConfig(daemon: BenchDaemonKind): Docker.HostConfig {
  if (daemon === 'docker') return { NetworkMode: 'none', LogConfig: { Type: 'json-file', Config: {} } };
  return {
    NetworkMode: 'none',
    LogConfig: { Type: 'k8s-file', Config: {} },
    Ulimits: [{ Name: 'nofile', Soft: 4096, Hard: 4096 }, { Name: 'nproc', Soft: 4096, Hard: 4096 }],
  };
}

export async function createBenchContainer(docker: Docker, options: BenchContainerOptions): Promise<Docker.Container> {
  const container = await docker.createContainer({
    name: options.name,
    Image: TEST_IMAGE,
    Cmd: ['sh', '-c', options.script],
    Tty: false,
    Labels: { [BENCH_LABEL]: options.runId },
    HostConfig: benchHostConfig(options.daemon ?? 'docker'),
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
 * The pid of the daemon behind a unix socket started by docker-daemon.sh (dockerd.pid next to the
 * socket) or podman-service.sh (service.pid: `podman system service`); undefined for any other
 * daemon. Used to report the daemon's own CPU per line.
 */
export function daemonPid(dockerHost: string, daemon: BenchDaemonKind = 'docker'): number | undefined {
  if (!dockerHost.startsWith('unix://')) return undefined;
  try {
    const pid = Number(readFileSync(join(dirname(dockerHost.slice('unix://'.length)), daemon === 'podman' ? 'service.pid' : 'dockerd.pid'), 'latin1').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A running Podman container's conmon (the process that copies its output into the log file):
 * the parent of the container's first process. Undefined when it is not running or the parent is
 * not conmon.
 */
export async function conmonPid(container: Docker.Container): Promise<number | undefined> {
  const info = await container.inspect();
  if (!info.State.Running || !(info.State.Pid > 0)) return undefined;
  try {
    const stat = readFileSync(`/proc/${info.State.Pid}/stat`, 'latin1');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return readFileSync(`/proc/${parent}/comm`, 'latin1').trim() === 'conmon' ? parent : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits until a container's log file (inspect's LogPath: json-file or k8s-file, on this machine)
 * ends with a line holding `marker`: for a writer that stays running after its last line. Ends
 * on the marker, or fails when the file stops growing.
 */
export async function waitForLogTail(container: Docker.Container, marker: string): Promise<void> {
  const logPath = (await container.inspect()).LogPath;
  if (!logPath) throw new Error(`container ${container.id.slice(0, 12)} has no LogPath to watch`);
  const wanted = Buffer.from(marker);
  await waitFor(`${logPath} to end with ${marker}`, {
    watch: () => fileTail(logPath, 4096),
    until: (tail) => tail.bytes.includes(wanted),
    progress: (tail) => tail.size,
    stallMs: 120_000,
    capMs: 30 * 60_000,
    intervalMs: 250,
  });
}

function fileTail(path: string, bytes: number): { size: number; bytes: Buffer } {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(bytes, size);
    const tail = Buffer.alloc(length);
    readSync(fd, tail, 0, length, size - length);
    return { size, bytes: tail };
  } finally {
    closeSync(fd);
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
