// The record encoder as it was before it wrote into batch buffers (commit 27c9c04), kept as the
// oracle: src/ship/record-encoder.ts must produce exactly these bytes for every line. It is the
// definition written out: two JSON.stringify calls, concatenation and one Buffer.from per line
// (and main's event_id, as main's encoder writes it).
import type { CapturedLine } from '../../src/capture/captured-line.js';
import type { ContainerInfo } from '../../src/docker/container-info.js';
import { eventId } from '../../src/ship/event-id.js';

interface ContainerPart {
  name: string;
  /** `,"stream":"stdout",<constant fields>` for each stream, ready to paste. */
  stdout: string;
  stderr: string;
}

export class ReferenceRecordEncoder {
  private readonly parts = new Map<string, ContainerPart>();

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
