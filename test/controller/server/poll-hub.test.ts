import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PollHub } from '../../../controller/server/poll-hub.ts';

describe('PollHub', () => {
  it('wakes only the polls held on the woken key', async () => {
    const hub = new PollHub();
    const a1 = hub.wait('a', 5_000);
    const a2 = hub.wait('a', 5_000);
    const b = hub.wait('b', 50);
    expect(hub.heldCount).toBe(3);
    expect(hub.wake('a')).toBe(2);
    expect(await Promise.all([a1, a2])).toEqual([true, true]);
    expect(hub.isHeld('a')).toBe(false);
    expect(await b).toBe(false);
    expect(hub.heldCount).toBe(0);
  });

  it('lets a poll go when its caller hangs up', async () => {
    const hub = new PollHub();
    const connection = new EventEmitter();
    const held = hub.wait('a', 5_000, connection);
    connection.emit('close');
    expect(await held).toBe(false);
    expect(hub.isHeld('a')).toBe(false);
    expect(hub.wake('a')).toBe(0);
  });

  it('wakeAll answers every held poll', async () => {
    const hub = new PollHub();
    const polls = [hub.wait('a', 5_000), hub.wait('b', 5_000)];
    hub.wakeAll();
    expect(await Promise.all(polls)).toEqual([true, true]);
    expect(hub.heldCount).toBe(0);
  });
});
