// Decides how far each container's checkpoint may advance. Every record gets a sequence number
// per container when it is buffered; a container's position advances only over the longest
// prefix of its records that were acknowledged (delivered, or dead-lettered after a 400), so a
// crash never skips a record the receiver has not taken, however requests finish.
import type { Position } from '../capture/position.js';
import { timestampMs } from '../capture/position.js';
import type { ShipTelemetry } from './ship-telemetry.js';

/** The part of the checkpoint store the tracker writes to. */
export interface CheckpointCommitter {
  commit(containerId: string, position: Position, lastTimestamp: string, containerName: string): void;
  forget(containerId: string): void;
}

/** What the tracker needs to know about an acknowledged record. */
export interface AcknowledgedRecord {
  containerId: string;
  seq: number;
  /** The position just after this record's line. */
  position: Position;
  /** Docker's timestamp of the line. */
  timestamp: string;
  containerName: string;
}

interface ContainerAcks {
  /** Sequence number the next registered record gets. */
  next: number;
  /** Every record with seq < prefix is acknowledged. */
  prefix: number;
  /** Acknowledged records beyond a gap, waiting for the gap to close. */
  early: Map<number, AcknowledgedRecord>;
  /** The label of this container's lag series. */
  lagName: string | undefined;
  gone: boolean;
}

export class AckTracker {
  private readonly containers = new Map<string, ContainerAcks>();
  private readonly checkpoints: CheckpointCommitter;
  private readonly telemetry: Pick<ShipTelemetry, 'sent' | 'lag' | 'forgetLag'>;
  private readonly now: () => number;

  constructor(options: { checkpoints: CheckpointCommitter; telemetry: Pick<ShipTelemetry, 'sent' | 'lag' | 'forgetLag'>; now?: () => number }) {
    this.checkpoints = options.checkpoints;
    this.telemetry = options.telemetry;
    this.now = options.now ?? Date.now;
  }

  /** The next sequence number of this container: call once per buffered record, in line order. */
  register(containerId: string): number {
    let state = this.containers.get(containerId);
    if (state === undefined) {
      state = { next: 0, prefix: 0, early: new Map(), lagName: undefined, gone: false };
      this.containers.set(containerId, state);
    }
    state.gone = false;
    return state.next++;
  }

  /**
   * Marks records handled. `delivered` is false for dead-lettered records: they move the
   * checkpoint (they are handled) but are not counted as sent.
   */
  acknowledge(records: readonly AcknowledgedRecord[], delivered: boolean): void {
    const advanced = new Map<string, AcknowledgedRecord>();
    for (const record of records) {
      const state = this.containers.get(record.containerId);
      if (state === undefined || record.seq < state.prefix) continue; // already counted
      if (record.seq !== state.prefix) {
        state.early.set(record.seq, record);
        continue;
      }
      let last = record;
      state.prefix += 1;
      for (let next = state.early.get(state.prefix); next !== undefined; next = state.early.get(state.prefix)) {
        state.early.delete(state.prefix);
        last = next;
        state.prefix += 1;
      }
      advanced.set(record.containerId, last);
    }
    if (delivered) this.telemetry.sent(records.length);
    for (const [containerId, last] of advanced) this.advance(containerId, last);
  }

  /** The container is destroyed: once all its records are acknowledged, its checkpoint goes. */
  containerGone(containerId: string): void {
    const state = this.containers.get(containerId);
    if (state === undefined) {
      this.checkpoints.forget(containerId);
      return;
    }
    state.gone = true;
    this.forgetIfDone(containerId, state);
  }

  /** Records of this container not yet acknowledged. */
  unacknowledged(containerId: string): number {
    const state = this.containers.get(containerId);
    return state === undefined ? 0 : state.next - state.prefix;
  }

  private advance(containerId: string, last: AcknowledgedRecord): void {
    const state = this.containers.get(containerId);
    if (state === undefined) return;
    this.checkpoints.commit(containerId, last.position, last.timestamp, last.containerName);
    if (state.lagName !== undefined && state.lagName !== last.containerName) this.telemetry.forgetLag(state.lagName);
    state.lagName = last.containerName;
    this.telemetry.lag(last.containerName, Math.max(0, (this.now() - timestampMs(last.timestamp)) / 1000));
    this.forgetIfDone(containerId, state);
  }

  private forgetIfDone(containerId: string, state: ContainerAcks): void {
    if (!state.gone || state.prefix !== state.next) return;
    this.checkpoints.forget(containerId);
    if (state.lagName !== undefined) this.telemetry.forgetLag(state.lagName);
    this.containers.delete(containerId);
  }
}
