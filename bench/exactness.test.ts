import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ReferenceLine } from '../test/support/docker.js';
import type { ReceivedRecord } from './counting-receiver.js';
import { compareWithOracle } from './exactness.js';

const oracle: ReferenceLine[] = ['a', 'b', 'c', 'd', 'b'].map((message, index) => ({ timestamp: `2026-11-29T07:00:0${index}.000000000Z`, stream: 'stdout', message: Buffer.from(message) }));
const received = (indexes: number[]): ReceivedRecord[] =>
  indexes.map((index) => {
    const line = oracle[index] as ReferenceLine;
    return { containerId: 'c', timestamp: line.timestamp, stream: line.stream, message: line.message.toString('utf8') };
  });

void describe('compareWithOracle', () => {
  void it('says nothing differs when every line arrived once, in order, with its stamp', () => {
    assert.deepEqual(compareWithOracle(oracle, received([0, 1, 2, 3, 4])), { expected: 5, delivered: 5, lost: 0, duplicated: 0, outOfOrder: 0, differing: 0, firstDifference: null });
  });

  void it('counts lost, repeated and reordered lines, a repeated message taking its places in turn', () => {
    const lostOne = compareWithOracle(oracle, received([0, 1, 3, 4]));
    assert.deepEqual([lostOne.lost, lostOne.duplicated, lostOne.outOfOrder], [1, 0, 0]);
    assert.match(lostOne.firstDifference ?? '', /^line 3: the daemon has .* "c", the receiver got .* "d"$/);
    // `b` twice is expected (the container printed it twice); a third time is one too many.
    const repeated = compareWithOracle(oracle, received([0, 1, 2, 3, 4, 4]));
    assert.deepEqual([repeated.lost, repeated.duplicated, repeated.outOfOrder], [0, 1, 0]);
    const swapped = compareWithOracle(oracle, received([0, 2, 1, 3, 4]));
    assert.deepEqual([swapped.lost, swapped.duplicated, swapped.outOfOrder], [0, 0, 1]);
  });

  void it('counts a line that arrived with another stamp', () => {
    const [first, ...rest] = received([0, 1, 2, 3, 4]);
    const report = compareWithOracle(oracle, [{ ...(first as ReceivedRecord), timestamp: '2026-11-29T07:00:09.000000000Z' }, ...rest]);
    assert.deepEqual([report.lost, report.duplicated, report.outOfOrder, report.differing], [0, 0, 0, 1]);
  });
});
