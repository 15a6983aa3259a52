// A container that writes `seq` numbers in bursts the test releases (through a file in a bind
// mount), so a reader of its json-file log can be kept within a bound of the writer however slow
// the machine: no line is rotated away unread by a speed race the test would depend on. The
// numbers are the oracle where the daemon's API cannot be one (lines in deleted rotated files).
import { mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';
import { jsonLogLocation } from '../../src/docker/json-file/log-location.js';
import type { JsonLogLocation } from '../../src/docker/json-file/log-location.js';
import { TEST_IMAGE, TEST_LABEL, removeQuietly, uniqueName, waitForExit } from './docker.js';
import { waitForProgress } from './wait-progress.js';

/** Writes `seq` up to the number in /ctl/target whenever it grows; exits on `stop`. */
export const SEQ_SCRIPT = [
  'i=0',
  'while :; do',
  '  t=$(cat /ctl/target 2>/dev/null)',
  '  case "$t" in stop) exit 0;; ""|*[!0-9]*) t=$i;; esac',
  '  if [ "$t" -gt "$i" ]; then seq $((i+1)) $t; i=$t; else sleep 0.02; fi',
  'done',
].join('\n');

export class SeqContainer {
  written = 0;
  private constructor(readonly container: Docker.Container, readonly id: string, readonly location: JsonLogLocation, private readonly control: string) {}

  static async start(docker: Docker, logOptions: Record<string, string>, labels: Record<string, string> = {}): Promise<SeqContainer> {
    const control = mkdtempSync(join(tmpdir(), 'jf-rotation-'));
    const container = await docker.createContainer({
      name: uniqueName('jf-rotate'),
      Image: TEST_IMAGE,
      Cmd: ['sh', '-c', SEQ_SCRIPT],
      Labels: { [TEST_LABEL]: 'true', ...labels },
      HostConfig: { NetworkMode: 'none', Binds: [`${control}:/ctl`], LogConfig: { Type: 'json-file', Config: logOptions } },
    });
    await container.start();
    const info = await container.inspect();
    return new SeqContainer(container, info.Id, jsonLogLocation(dirname(dirname(info.LogPath)), info.Id, info.LogPath), control);
  }

  /** Lets the container write `count` more numbers (atomically: it never reads half a number). */
  release(count: number): void {
    this.written += count;
    this.setTarget(String(this.written));
  }

  private setTarget(value: string): void {
    writeFileSync(join(this.control, 'target.tmp'), value);
    renameSync(join(this.control, 'target.tmp'), join(this.control, 'target'));
  }

  logFiles(): string[] {
    return readdirSync(this.location.dir).filter((name) => name.startsWith(this.location.baseName)).sort();
  }

  /** Waits until the container has logged every number released. */
  async writtenOut(): Promise<void> {
    const last = this.written;
    await waitForProgress(`the container to write up to ${last}`, () => this.lastLoggedNumber() >= last, () => this.lastLoggedNumber());
  }

  /** Lets it finish what it was released to write, and exit. */
  async stop(): Promise<void> {
    await this.writtenOut();
    this.setTarget('stop');
    await waitForExit(this.container);
  }

  /** The last number in the live file (0 if none yet). */
  private lastLoggedNumber(): number {
    try {
      const text = readFileSync(this.location.path, 'latin1');
      const match = /"log":"(\d+)\\n"[^\n]*\n$/.exec(text.slice(-200));
      return match ? Number(match[1]) : 0;
    } catch {
      return 0;
    }
  }

  async remove(): Promise<void> {
    this.setTarget('stop');
    await removeQuietly(this.container);
    rmSync(this.control, { recursive: true, force: true });
  }
}

