// A configuration is assembled from layers (file, environment, flags); each value remembers which
// layer set it, so a problem found after merging still names the file, variable or flag to fix.

export type RawConfig = Record<string, unknown>;

export function isPlainObject(value: unknown): value is RawConfig {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface Origin {
  source: string;
  rank: number;
}

/** Dotted path -> the layer that last set it; later (higher-ranked) layers win. */
export class SourceMap {
  private readonly origins = new Map<string, Origin>();

  constructor(private readonly fallback: string) {}

  set(path: readonly string[], source: string, rank: number): void {
    this.origins.set(path.join('.'), { source, rank });
  }

  has(path: readonly string[]): boolean {
    return this.origins.has(path.join('.'));
  }

  /** The layer that set exactly this key, or undefined when none did (the default applies). */
  originOf(path: readonly string[]): string | undefined {
    return this.origins.get(path.join('.'))?.source;
  }

  /** The layer that set this key or the nearest enclosing section. */
  sourceOf(path: readonly string[]): string {
    for (let length = path.length; length > 0; length -= 1) {
      const origin = this.origins.get(path.slice(0, length).join('.'));
      if (origin !== undefined) return origin.source;
    }
    return this.fallback;
  }

  /**
   * For a key that is missing: the highest-ranked layer that set anything in its section, since
   * that layer made the key necessary (`--sink vector` without `--sink-url`).
   */
  sourceOfSection(section: readonly string[]): string {
    const prefix = section.length === 0 ? '' : `${section.join('.')}.`;
    let best: Origin | undefined;
    for (const [key, origin] of this.origins) {
      if (!key.startsWith(prefix) && key !== section.join('.')) continue;
      if (best === undefined || origin.rank >= best.rank) best = origin;
    }
    return best?.source ?? this.sourceOf(section);
  }
}

/** Deep-merges `layer` into `target` (objects merge, everything else replaces) and records origins. */
export function mergeLayer(target: RawConfig, layer: RawConfig, source: string, rank: number, sources: SourceMap, prefix: string[] = []): void {
  for (const [key, value] of Object.entries(layer)) {
    const path = [...prefix, key];
    sources.set(path, source, rank);
    const existing = target[key];
    if (isPlainObject(value)) {
      const into = isPlainObject(existing) ? existing : {};
      target[key] = into;
      mergeLayer(into, value, source, rank, sources, path);
    } else {
      target[key] = value;
    }
  }
}

/** Sets `value` at `path`, creating sections on the way. */
export function setAt(target: RawConfig, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (isPlainObject(next)) node = next;
    else {
      const created: RawConfig = {};
      node[key] = created;
      node = created;
    }
  }
  node[path[path.length - 1] as string] = value;
}

export function getAt(source: unknown, path: readonly string[]): unknown {
  let node = source;
  for (const key of path) {
    if (!isPlainObject(node)) return undefined;
    node = node[key];
  }
  return node;
}
