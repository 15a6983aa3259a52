import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FiltersConfig } from '../config/capturer-config.js';
import { ContainerSelector, compilePattern, detectOwnContainerId, imageWithoutTag } from './container-selector.js';
import type { SelectableContainer } from './container-selector.js';

const SELF = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);

function filters(overrides: Partial<FiltersConfig> = {}): FiltersConfig {
  return {
    includeNames: [], excludeNames: [], includeImages: [], excludeImages: [],
    includeLabels: [], excludeLabels: [], optOutLabel: 'log-capturer.enable', ...overrides,
  };
}

function container(overrides: Partial<SelectableContainer> = {}): SelectableContainer {
  return { id: OTHER, name: 'web-1', image: 'nginx:1.27', labels: {}, ...overrides };
}

describe('compilePattern', () => {
  const table: Array<[string, string, boolean]> = [
    ['web-*', 'web-1', true],
    ['web-*', 'web-', true],
    ['web-*', 'api-1', false],
    ['web-?', 'web-1', true],
    ['web-?', 'web-12', false],
    ['web', 'web-1', false], // globs match the whole value
    ['a.b', 'axb', false], // `.` is literal in a glob
    ['*/web', 'registry:5000/app/web', true],
    ['/^web-\\d+$/', 'web-42', true],
    ['/^web-\\d+$/', 'web-x', false],
    ['/eb/', 'web-1', true], // a regex is searched, not anchored
    ['(x)', '(x)', true],
  ];
  for (const [pattern, value, expected] of table) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${value}`, () => {
      assert.equal(compilePattern(pattern)(value), expected);
    });
  }
});

describe('imageWithoutTag', () => {
  it('removes a tag or digest but keeps a registry port', () => {
    assert.equal(imageWithoutTag('nginx:1.27'), 'nginx');
    assert.equal(imageWithoutTag('registry:5000/app/web:1'), 'registry:5000/app/web');
    assert.equal(imageWithoutTag('registry:5000/app/web'), 'registry:5000/app/web');
    assert.equal(imageWithoutTag('x@sha256:abc'), 'x');
  });
});

describe('ContainerSelector', () => {
  const table: Array<[string, Partial<FiltersConfig>, Partial<SelectableContainer>, string]> = [
    ['empty include lists select everything', {}, {}, 'selected'],
    ['include by name glob', { includeNames: ['web-*'] }, {}, 'selected'],
    ['include by name not matched', { includeNames: ['api-*'] }, {}, 'not-included'],
    ['the leading slash of a name is ignored', { includeNames: ['web-1'] }, { name: '/web-1' }, 'selected'],
    ['include by image without tag', { includeImages: ['nginx'] }, {}, 'selected'],
    ['include by image with other tag', { includeImages: ['nginx:1.26'] }, {}, 'not-included'],
    ['include by image regex', { includeImages: ['/^ngi/'] }, {}, 'selected'],
    ['include by label presence', { includeLabels: ['team'] }, { labels: { team: '' } }, 'selected'],
    ['include by label value glob', { includeLabels: ['team=pay*'] }, { labels: { team: 'payments' } }, 'selected'],
    ['include by label value mismatch', { includeLabels: ['team=pay*'] }, { labels: { team: 'search' } }, 'not-included'],
    ['include by label absent', { includeLabels: ['team'] }, {}, 'not-included'],
    ['OR within one include list', { includeNames: ['api-*', 'web-*'] }, {}, 'selected'],
    ['AND across include lists', { includeNames: ['web-*'], includeLabels: ['team'] }, {}, 'not-included'],
    ['AND across include lists, both match', { includeNames: ['web-*'], includeLabels: ['team'] }, { labels: { team: 'x' } }, 'selected'],
    ['exclude by name', { excludeNames: ['web-?'] }, {}, 'excluded'],
    ['exclude by image', { excludeImages: ['nginx:*'] }, {}, 'excluded'],
    ['exclude by label', { excludeLabels: ['tier=db'] }, { labels: { tier: 'db' } }, 'excluded'],
    ['exclude wins over include', { includeNames: ['web-*'], excludeLabels: ['tier'] }, { labels: { tier: 'db' } }, 'excluded'],
    ['opt-out label false', {}, { labels: { 'log-capturer.enable': 'false' } }, 'opt-out'],
    ['opt-out label FALSE with spaces', {}, { labels: { 'log-capturer.enable': ' FALSE ' } }, 'opt-out'],
    ['opt-out label true is selected', {}, { labels: { 'log-capturer.enable': 'true' } }, 'selected'],
    ['opt-out wins over include', { includeNames: ['web-*'] }, { labels: { 'log-capturer.enable': 'false' } }, 'opt-out'],
    ['custom opt-out label', { optOutLabel: 'logs' }, { labels: { logs: 'false' } }, 'opt-out'],
    ['own container never read', { includeNames: ['web-*'] }, { id: SELF }, 'self'],
  ];
  for (const [title, rules, subject, expected] of table) {
    it(title, () => {
      const result = new ContainerSelector(filters(rules), SELF).select(container(subject));
      assert.equal(result.selected ? 'selected' : result.reason, expected);
    });
  }

  it('recognises its own container by a 12-character short id', () => {
    const selector = new ContainerSelector(filters(), SELF.slice(0, 12));
    assert.deepEqual(selector.select(container({ id: SELF })), { selected: false, reason: 'self' });
    assert.deepEqual(selector.select(container()), { selected: true });
  });
});

describe('detectOwnContainerId', () => {
  const files = (mountinfo: string | undefined, cgroup: string | undefined) => (path: string): string | undefined =>
    path === '/proc/self/mountinfo' ? mountinfo : path === '/proc/self/cgroup' ? cgroup : undefined;

  it('reads the id from the /etc/hostname bind mount (cgroup v2)', () => {
    const mountinfo = [
      '600 500 0:50 / / rw,relatime master:1 - overlay overlay rw',
      `612 600 8:1 /var/lib/docker/containers/${SELF}/hostname /etc/hostname rw,relatime - ext4 /dev/sda1 rw`,
    ].join('\n');
    assert.equal(detectOwnContainerId(files(mountinfo, '0::/\n')), SELF);
  });

  it('ignores container paths that are not mounted on /etc/hostname or /etc/hosts', () => {
    const mountinfo = `612 600 8:1 /var/lib/docker/containers/${OTHER}/x /data rw - ext4 /dev/sda1 rw`;
    assert.equal(detectOwnContainerId(files(mountinfo, '0::/\n')), undefined);
  });

  it('falls back to /proc/self/cgroup (cgroup v1 and systemd scopes)', () => {
    assert.equal(detectOwnContainerId(files('', `12:pids:/docker/${SELF}\n`)), SELF);
    assert.equal(detectOwnContainerId(files(undefined, `0::/system.slice/docker-${SELF}.scope\n`)), SELF);
  });

  it('is undefined outside a container', () => {
    assert.equal(detectOwnContainerId(files('600 500 0:50 / / rw - ext4 /dev/sda1 rw', '0::/\n4:memory:/process_api/00b94edb\n')), undefined);
    assert.equal(detectOwnContainerId(files(undefined, undefined)), undefined);
  });
});
