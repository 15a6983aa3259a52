// What we know about a container, read from `GET /containers/{id}/json` (inspect).

export interface ContainerInfo {
  /** Full 64-hex id. */
  id: string;
  /** Name without the leading `/`. */
  name: string;
  /** Image as the container was created with it (`Config.Image`). */
  image: string;
  labels: Record<string, string>;
  /** `Created`, RFC 3339. */
  createdAt: string;
  /** `Config.Tty`: true means the log stream is raw bytes, not multiplexed frames. */
  tty: boolean;
  /** `HostConfig.LogConfig.Type`, e.g. `json-file`, `local`, `none`. */
  logDriver: string;
  /** `HostConfig.LogConfig.Config`: the driver's options (`max-size`, `max-file`, ...). */
  logOptions: Record<string, string>;
  /** `State.Running` at the time of inspection. */
  running: boolean;
}
