// README.md's "Dependencies" table is a statement about package.json and the code: kept true here.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

const ROOT = new URL('../../', import.meta.url).pathname;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.tsx?$/.test(name) && !name.endsWith('.test.ts') ? [path] : [];
  });
}

void describe('runtime dependencies', () => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const runtime = Object.keys(pkg.dependencies).sort();

  void it('README explains every runtime dependency, and only those', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = /^### Dependencies\n([\s\S]*?)(?=^#)/m.exec(`${readme}\n#`)?.[1] ?? '';
    const rows = [...section.matchAll(/^\| `([^`]+)` \| (.+) \|$/gm)].map((m) => m[1]);
    assert.deepEqual([...rows].sort(), runtime);
  });

  void it('the program (src/, without tests) imports every runtime dependency', () => {
    const code = sourceFiles(join(ROOT, 'src')).map((file) => readFileSync(file, 'utf8')).join('\n');
    for (const name of runtime) {
      const quoted = name.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
      // An import, or a require.resolve() of it (zstd-napi is loaded by path in a worker thread).
      assert.ok(new RegExp(`(from|resolve\\()\\s*'${quoted}(/[^']*)?'`).test(code), `${name} is never imported by src/: drop it`);
    }
  });
});
