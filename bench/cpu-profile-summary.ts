// Where the capturer's time goes: self time per function and per area (our src/ folders,
// dependencies, node internals, GC) from a V8 .cpuprofile written by `node --cpu-prof`.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  name: string;
  selfMs: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  byArea: ProfileEntry[];
  topFunctions: ProfileEntry[];
}

function area(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : '(native)';
  // The built program (dist/ship/…) is reported under the source folder it comes from (src/ship).
  const source = /\/(?:src|dist)\/([a-z-]+)\//.exec(url);
  if (source && !url.includes('node_modules')) return `src/${source[1]}`;
  const dependency = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (dependency) return `dep:${dependency[1]}`;
  if (url.startsWith('node:')) return 'node internals';
  return 'other';
}

function shortUrl(url: string): string {
  const at = Math.max(url.lastIndexOf('/src/'), url.lastIndexOf('/dist/'));
  if (at >= 0 && !url.includes('node_modules')) return url.slice(at + 1);
  const dependency = url.lastIndexOf('node_modules/');
  if (dependency >= 0) return url.slice(dependency + 'node_modules/'.length);
  return url;
}

export function summarizeProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const nodes = new Map<number, ProfileNode>();
  for (const node of profile.nodes) nodes.set(node.id, node);
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = nodes.get(profile.samples[i] as number);
    const deltaUs = profile.timeDeltas[i] ?? 0;
    if (!node || deltaUs <= 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)') continue;
    totalUs += deltaUs;
    const areaName = area(url, functionName);
    byArea.set(areaName, (byArea.get(areaName) ?? 0) + deltaUs);
    const fn = `${functionName || '(anonymous)'} ${url ? `${shortUrl(url)}:${lineNumber + 1}` : ''}`.trim();
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + deltaUs);
  }
  const entries = (map: Map<string, number>, limit: number): ProfileEntry[] =>
    [...map.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, selfMs: Math.round(us / 1000), share: Math.round((1000 * us) / Math.max(totalUs, 1)) / 10 }));
  return { totalMs: Math.round(totalUs / 1000), byArea: entries(byArea, 20), topFunctions: entries(byFunction, top) };
}

/**
 * The main thread's profile among those `node --cpu-prof` left in a folder. Under tsx the ESM
 * loader runs in a worker thread, which writes a profile of its own (`CPU.<date>.<time>.<pid>.<thread>.<seq>`);
 * the main thread is thread 0. Without a thread-0 file, the largest profile is the best guess.
 */
export function mainThreadProfile(names: string[]): string | undefined {
  const profiles = names.filter((name) => name.endsWith('.cpuprofile')).sort();
  return profiles.find((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name)) ?? profiles[0];
}

/** Summarizes the main-thread profile a capturer child left in `dir`; undefined when there is none. */
export function summarizeProfileDir(dir: string, top = 15): ProfileSummary | undefined {
  const file = mainThreadProfile(readdirSync(dir));
  if (!file) return undefined;
  return summarizeProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile, top);
}

export function formatProfile(summary: ProfileSummary): string {
  const rows = (entries: ProfileEntry[]): string => entries.map((e) => `  ${String(e.share).padStart(5)}%  ${String(e.selfMs).padStart(7)} ms  ${e.name}`).join('\n');
  return `CPU profile: ${summary.totalMs} ms on CPU (idle excluded)\nby area:\n${rows(summary.byArea)}\ntop functions (self time):\n${rows(summary.topFunctions)}`;
}
