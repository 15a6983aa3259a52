// Which containers the capturer reads.
//
// Semantics (the README copies this block):
//
//   Patterns. A rule written `/.../` is a JavaScript regular expression, searched anywhere in the
//   value (anchor it with ^ and $ to match the whole value). Anything else is a glob matched
//   against the WHOLE value: `*` = any run of characters (also none, also `/`), `?` = exactly one
//   character, every other character is literal.
//
//   Names are matched without Docker's leading `/`. Images are matched against the image the
//   container was created with (`Config.Image`, e.g. `nginx:1.27` or `registry:5000/app/web:1`);
//   a glob without `:` or `@` also matches that image with its tag or digest removed, so `nginx`
//   and `*/web` select `nginx:1.27` and `registry:5000/app/web:1`.
//
//   Label rules are `key` (the label is present, with any value) or `key=value` where value is a
//   glob or /regex/. The key is literal.
//
//   Decision, in this order:
//     1. the capturer's own container is never read (a reader of its own logs would feed itself);
//     2. a container whose opt-out label (`filters.opt_out_label`, default `log-capturer.enable`)
//        is `false` (any case, spaces trimmed) is never read;
//     3. exclude wins: a container matched by ANY exclude rule (name, image or label) is not read;
//     4. includes: an empty include list does not restrict. Within one list any rule may match
//        (OR); every non-empty list must match (AND across names, images and labels). With all
//        include lists empty every container is read.
import { readFileSync } from 'node:fs';
import type { FiltersConfig } from '../config/capturer-config.js';

/** What selection looks at. ContainerInfo has these fields. */
export interface SelectableContainer {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
}

export type Selection =
  | { selected: true }
  | { selected: false; reason: 'self' | 'opt-out' | 'excluded' | 'not-included' };

type Matcher = (value: string) => boolean;

interface LabelRule {
  key: string;
  /** undefined: the label only has to be present. */
  value: Matcher | undefined;
}

/** Compiles one name/image/label-value pattern (glob or /regex/). Throws on an invalid regex. */
export function compilePattern(pattern: string): Matcher {
  if (pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/')) {
    const regex = new RegExp(pattern.slice(1, -1));
    return (value) => regex.test(value);
  }
  if (!pattern.includes('*') && !pattern.includes('?')) return (value) => value === pattern;
  let source = '^';
  for (const ch of pattern) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.|+()[\]{}/-]/g, '\\$&');
  }
  const regex = new RegExp(`${source}$`, 's');
  return (value) => regex.test(value);
}

function compileImagePattern(pattern: string): Matcher {
  const match = compilePattern(pattern);
  const isRegex = pattern.length >= 2 && pattern.startsWith('/') && pattern.endsWith('/');
  if (isRegex || pattern.includes(':') || pattern.includes('@')) return match;
  return (image) => match(image) || match(imageWithoutTag(image));
}

/** `registry:5000/app/web:1` -> `registry:5000/app/web`; `x@sha256:...` -> `x`. */
export function imageWithoutTag(image: string): string {
  const at = image.indexOf('@');
  const withoutDigest = at >= 0 ? image.slice(0, at) : image;
  const colon = withoutDigest.lastIndexOf(':');
  // A colon before the last `/` belongs to a registry port, not to a tag.
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest;
}

function compileLabelRule(rule: string): LabelRule {
  const eq = rule.indexOf('=');
  if (eq < 0) return { key: rule, value: undefined };
  return { key: rule.slice(0, eq), value: compilePattern(rule.slice(eq + 1)) };
}

function labelMatches(rule: LabelRule, labels: Record<string, string>): boolean {
  if (!Object.hasOwn(labels, rule.key)) return false;
  return rule.value === undefined || rule.value(labels[rule.key] ?? '');
}

export class ContainerSelector {
  private readonly includeNames: Matcher[];
  private readonly excludeNames: Matcher[];
  private readonly includeImages: Matcher[];
  private readonly excludeImages: Matcher[];
  private readonly includeLabels: LabelRule[];
  private readonly excludeLabels: LabelRule[];
  private readonly optOutLabel: string;

  /** @param selfContainerId our own container's id (full or a prefix of 12+), if we run in one. */
  constructor(filters: FiltersConfig, private readonly selfContainerId?: string) {
    this.includeNames = filters.includeNames.map(compilePattern);
    this.excludeNames = filters.excludeNames.map(compilePattern);
    this.includeImages = filters.includeImages.map(compileImagePattern);
    this.excludeImages = filters.excludeImages.map(compileImagePattern);
    this.includeLabels = filters.includeLabels.map(compileLabelRule);
    this.excludeLabels = filters.excludeLabels.map(compileLabelRule);
    this.optOutLabel = filters.optOutLabel;
  }

  select(container: SelectableContainer): Selection {
    if (this.isSelf(container.id)) return { selected: false, reason: 'self' };
    const optOut = this.optOutLabel ? container.labels[this.optOutLabel] : undefined;
    if (optOut !== undefined && optOut.trim().toLowerCase() === 'false') return { selected: false, reason: 'opt-out' };
    const name = container.name.startsWith('/') ? container.name.slice(1) : container.name;
    if (
      this.excludeNames.some((m) => m(name)) ||
      this.excludeImages.some((m) => m(container.image)) ||
      this.excludeLabels.some((r) => labelMatches(r, container.labels))
    ) {
      return { selected: false, reason: 'excluded' };
    }
    const included =
      (this.includeNames.length === 0 || this.includeNames.some((m) => m(name))) &&
      (this.includeImages.length === 0 || this.includeImages.some((m) => m(container.image))) &&
      (this.includeLabels.length === 0 || this.includeLabels.some((r) => labelMatches(r, container.labels)));
    return included ? { selected: true } : { selected: false, reason: 'not-included' };
  }

  private isSelf(id: string): boolean {
    const self = this.selfContainerId;
    if (!self) return false;
    return id === self || (self.length >= 12 && id.startsWith(self)) || (id.length >= 12 && self.startsWith(id));
  }
}

const CONTAINER_ID_IN_PATH = /\/containers\/([0-9a-f]{64})\//;
const CONTAINER_ID_IN_CGROUP = /(?:docker[-/]|\/)([0-9a-f]{64})(?:\.scope)?(?:\/|$)/m;

/**
 * Our own container id, found without being told: Docker bind-mounts /etc/hostname and /etc/hosts
 * from `<data-root>/containers/<id>/`, which /proc/self/mountinfo shows (works with cgroup v2,
 * where /proc/self/cgroup is just `0::/`). Falls back to a 64-hex id in /proc/self/cgroup
 * (cgroup v1, `.../docker/<id>` or `docker-<id>.scope`). undefined when not in a container.
 */
export function detectOwnContainerId(readText: (path: string) => string | undefined = readProcFile): string | undefined {
  const mountinfo = readText('/proc/self/mountinfo');
  if (mountinfo !== undefined) {
    for (const line of mountinfo.split('\n')) {
      // mountinfo fields: id parent major:minor root mount-point ...; root is the source path.
      const fields = line.split(' ');
      const mountPoint = fields[4];
      if (mountPoint !== '/etc/hostname' && mountPoint !== '/etc/hosts') continue;
      const id = CONTAINER_ID_IN_PATH.exec(fields[3] ?? '')?.[1];
      if (id) return id;
    }
  }
  const cgroup = readText('/proc/self/cgroup');
  if (cgroup !== undefined) {
    const id = CONTAINER_ID_IN_CGROUP.exec(cgroup)?.[1];
    if (id) return id;
  }
  return undefined;
}

function readProcFile(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}
