import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { logDialect, logRotates, profileOf } from './daemon-profile.js';

void describe('daemon profile', () => {
  void it('tells Docker before 23.0 (follow does not survive rotation) from later versions and from Podman', () => {
    const old = profileOf({ version: '20.10.24+dfsg1', apiVersion: '1.41', platform: '', components: ['Engine'] });
    assert.deepEqual([old.kind, old.followsRotation, old.tailWindows], ['docker', false, true]);
    const modern = profileOf({ version: '27.3.1', apiVersion: '1.47', platform: 'Docker Engine - Community', components: ['Engine', 'containerd'] });
    assert.deepEqual([modern.kind, modern.followsRotation], ['docker', true]);
    assert.equal(profileOf({ version: 'unparsable', apiVersion: '1.42', platform: '', components: [] }).followsRotation, true);
    const podman = profileOf({ version: '4.3.1', apiVersion: '1.41', platform: 'linux/amd64', components: ['Podman Engine', 'conmon'] });
    assert.deepEqual([podman.kind, podman.tailWindows], ['podman', false]);
    assert.equal(profileOf(undefined).kind, 'unknown');
    assert.equal(profileOf(undefined).followsRotation, false, 'unknown: the careful case');
  });

  void it('trusts reads of gzipped rotated files from Docker 23.0 on (20.10 shares them between readers by name)', () => {
    const of = (version: string, apiVersion: string): boolean => profileOf({ version, apiVersion, platform: '', components: ['Engine'] }).gzipReadsExact;
    assert.deepEqual([of('20.10.24+dfsg1', '1.41'), of('20.10.27', '1.41'), of('23.0.0', '1.42'), of('28.2.2', '1.50')], [false, false, true, true]);
    assert.equal(profileOf(undefined).gzipReadsExact, false, 'unknown: the careful case');
  });

  void it('knows which logs rotate', () => {
    assert.equal(logRotates({ logDriver: 'json-file', logOptions: {} }), false);
    assert.equal(logRotates({ logDriver: 'json-file', logOptions: { 'max-size': '10m' } }), true);
    assert.equal(logRotates({ logDriver: 'json-file', logOptions: { 'max-size': '-1' } }), false);
    assert.equal(logRotates({ logDriver: 'local', logOptions: {} }), true);
    assert.equal(logRotates({ logDriver: 'journald', logOptions: { 'max-size': '1m' } }), false);
  });

  void it('reads Podman\'s TTY containers through its framed /libpod/ endpoint, with positions in seconds and since as RFC 3339', () => {
    const podman = profileOf({ version: '4.3.1', apiVersion: '1.41', platform: 'linux/amd64/debian-12', components: ['Podman Engine', 'Conmon'], libpodApiVersion: '4.3.1' });
    assert.equal(podman.libpodApiVersion, '4.3.1');
    assert.deepEqual(logDialect(podman, true), { libpodApiVersion: '4.3.1', framing: 'multiplexed', resolutionMs: 1000, since: 'podman' });
    assert.deepEqual(logDialect(podman, false), { framing: 'multiplexed', resolutionMs: 1000, since: 'podman' });
    assert.deepEqual(logDialect({ ...podman, libpodApiVersion: '' }, true), { framing: 'podman-tty', resolutionMs: 1000, since: 'podman' }, 'without a libpod version: the raw stream');
    const docker = profileOf({ version: '20.10.24+dfsg1', apiVersion: '1.41', platform: '', components: ['Engine'] });
    assert.deepEqual(logDialect(docker, true), { framing: 'docker-tty', resolutionMs: 1, since: 'docker' });
    assert.deepEqual(logDialect(docker, false), { framing: 'multiplexed', resolutionMs: 1, since: 'docker' });
    assert.deepEqual(logDialect(profileOf(undefined), false), { framing: 'multiplexed', resolutionMs: 1, since: 'docker' });
  });
});
