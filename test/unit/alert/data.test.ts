import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:fs';
import {
  dataString,
  labelsString,
  openFlagNames,
  parseDataString,
  parseLabels,
} from '../../../src/alert/data.js';
import { alertMicros, headerTime, unixSeconds, updatedTime } from '../../../src/alert/time.js';

test('open flags decode in getOpenFlags order, from the host constants', () => {
  const f = constants.O_WRONLY | constants.O_CREAT | constants.O_NOCTTY | constants.O_NONBLOCK;
  assert.equal(openFlagNames(f), 'O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK');
  assert.equal(
    openFlagNames(constants.O_RDONLY | 0o2000000 /* O_CLOEXEC, absent from fs.constants */),
    'O_RDONLY|O_CLOEXEC',
  );
  assert.equal(
    openFlagNames(
      constants.O_RDWR | constants.O_TRUNC | constants.O_APPEND | constants.O_EXCL | constants.O_DIRECTORY,
    ),
    'O_RDWR|O_EXCL|O_TRUNC|O_APPEND|O_DIRECTORY',
  );
  assert.equal(openFlagNames(constants.O_WRONLY | constants.O_SYNC), 'O_WRONLY|O_SYNC');
  assert.equal(openFlagNames(constants.O_WRONLY | constants.O_DSYNC), 'O_WRONLY|O_DSYNC');
  assert.equal(openFlagNames(constants.O_NOFOLLOW | constants.O_NOATIME), 'O_RDONLY|O_NOFOLLOW|O_NOATIME');
});

test('Data strings and their EventData map', () => {
  assert.equal(
    dataString({ syscall: 'SYS_OPENAT', flags: 0o4501 }),
    'syscall=SYS_OPENAT flags=O_WRONLY|O_CREAT|O_NOCTTY|O_NONBLOCK',
  );
  assert.equal(
    dataString({ syscall: 'openat', fd: -100, flags: 0o2000000 }),
    'syscall=SYS_openat fd=-100 flags=O_RDONLY|O_CLOEXEC',
  );
  assert.equal(dataString({ syscall: 'SYS_UNLINKAT', flags: null }), 'syscall=SYS_UNLINKAT flags=');
  assert.equal(dataString({ lsm: 'FILE_OPEN' }), 'lsm=FILE_OPEN');
  assert.deepEqual(parseDataString('syscall=SYS_OPENAT fd=-100 flags=O_RDONLY|O_CLOEXEC'), {
    Syscall: 'SYS_OPENAT',
    Fd: '-100',
    Flags: 'O_RDONLY|O_CLOEXEC',
  });
});

test('Labels strings are sorted k=v lists and parse back', () => {
  assert.equal(labelsString({ group: 'g2', app: 'mysql' }), 'app=mysql,group=g2');
  assert.equal(labelsString(undefined), '');
  assert.deepEqual(parseLabels('app=mysql,group=g2'), { app: 'mysql', group: 'g2' });
});

test('UpdatedTime has six fractional digits, from nanoseconds or milliseconds', () => {
  assert.equal(updatedTime('1696316210829165999'), '2023-10-03T06:56:50.829165Z');
  assert.equal(updatedTime(1696316210829165000n), '2023-10-03T06:56:50.829165Z');
  assert.equal(updatedTime(Date.UTC(2026, 0, 2, 3, 4, 5, 7)), '2026-01-02T03:04:05.007000Z');
  assert.equal(updatedTime('5000'), '1970-01-01T00:00:00.000005Z');
  assert.equal(unixSeconds('1696316210829165999'), 1696316210);
  assert.equal(alertMicros({ UpdatedTime: '2023-10-03T06:56:50.829165Z' }), 1696316210829165);
  assert.equal(alertMicros({ Timestamp: 7 }), 7_000_000);
  assert.equal(headerTime('2023-10-03T06:56:50.829165Z'), '2023-10-03 06:56:50.829165');
});

test('UpdatedTime and Timestamp from decimal nanoseconds agree with BigInt arithmetic', () => {
  // The event path splits the digits as text; the bigint input goes through BigInt division.
  const samples = ['1000000000', '1999999999', '9223372036854775807', '1696316210000000000'];
  for (let i = 0; i < 2000; i++) {
    const ns =
      BigInt(Math.floor(Math.random() * 4e9)) * 1_000_000_000n + BigInt(Math.floor(Math.random() * 1e9));
    if (ns >= 1_000_000_000n) samples.push(ns.toString());
  }
  for (const s of samples) {
    assert.equal(updatedTime(s), updatedTime(BigInt(s)), s);
    assert.equal(unixSeconds(s), unixSeconds(BigInt(s)), s);
    // and back: the store's time key is the same number of microseconds (twice: parsed, then cached)
    const us = Number(BigInt(s) / 1000n);
    assert.equal(alertMicros({ UpdatedTime: updatedTime(s) }), us, s);
    assert.equal(alertMicros({ UpdatedTime: updatedTime(s) }), us, s);
  }
  // A malformed time after a cached second still falls back to Timestamp.
  assert.equal(alertMicros({ UpdatedTime: updatedTime(samples[0]) }), 1e6);
  assert.equal(
    alertMicros({ UpdatedTime: `${updatedTime(samples[0]).slice(0, 19)}.12345xZ`, Timestamp: 3 }),
    3e6,
  );
});
