// Where capture asks for a container's persisted resume position. Implemented by the ship layer's
// CheckpointStore, which only ever holds positions the receiver has acknowledged; capture reads
// it through this narrow interface so it does not depend on how positions are stored.
import type { Position } from './position.js';

export interface PositionSource {
  get(containerId: string): Position | undefined;
  readonly firstRun: boolean;
  /**
   * The engine's first complete listing: containers not in it were removed while we were down,
   * their logs went with them, and their positions would only grow the file forever.
   */
  retainOnly(existingIds: ReadonlySet<string>): void;
}
