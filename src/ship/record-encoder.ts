// Turns a captured line into one NDJSON record with the field names of Vector's `docker_logs`
// source, so users' existing VRL keeps working.
//
// This runs once per log line. Everything that depends only on the container (id, name, image,
// labels, host) is serialised once per container and reused; per line only the timestamp and the
// message go through JSON.stringify. JSON.stringify escapes every control character (NUL
// included) and `\n`, so the single `\n` we append is the only line break in a record whatever
// bytes the container wrote.
import type { CapturedLine } from '../capture/captured-line.js';
import type { ContainerInfo } from '../docker/container-info.js';
import { eventId } from './event-id.js';

interface ContainerPart {
  name: string;
  /** `,"stream":"stdout",<constant fields>` for each stream, ready to paste. */
  stdout: string;
  stderr: string;
}

export class RecordEncoder {
  private readonly parts = new Map<string, ContainerPart>();

  /** eventIds: give every record its `event_id` (see event-id.ts). */
  constructor(
    private readonly hostName: string,
    private readonly eventIds = true,
  ) {}

  /** One JSON object followed by `\n`. */
  encodeRecord(c: CapturedLine): Buffer {
    let part = this.parts.get(c.container.id);
    // A rename is the only change a live container's identity fields can see.
    if (part === undefined || part.name !== c.container.name) part = this.buildPart(c.container);
    // toString('utf8') is the lossy decode: every invalid sequence becomes U+FFFD.
    const text =
      '{"timestamp":' + JSON.stringify(c.line.timestamp) +
      ',"message":' + JSON.stringify(c.line.message.toString('utf8')) +
      (this.eventIds ? ',"event_id":"' + eventId(c.container.id, c.line.timestamp, c.line.stream, c.ordinal) + '"' : '') +
      (c.line.stream === 'stderr' ? part.stderr : part.stdout) +
      (c.line.truncated ? ',"truncated":true}\n' : '}\n');
    return Buffer.from(text, 'utf8');
  }

  /** Drops the cached part of a container that is gone. */
  forget(containerId: string): void {
    this.parts.delete(containerId);
  }

  private buildPart(container: ContainerInfo): ContainerPart {
    const constant =
      ',"container_id":' + JSON.stringify(container.id) +
      ',"container_name":' + JSON.stringify(container.name) +
      ',"container_created_at":' + JSON.stringify(container.createdAt) +
      ',"image":' + JSON.stringify(container.image) +
      ',"label":' + JSON.stringify(container.labels) +
      ',"host":' + JSON.stringify(this.hostName) +
      ',"source_type":"log_capturer"';
    const part = { name: container.name, stdout: ',"stream":"stdout"' + constant, stderr: ',"stream":"stderr"' + constant };
    this.parts.set(container.id, part);
    return part;
  }
}
