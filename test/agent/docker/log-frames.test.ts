import { describe, expect, it } from 'vitest';
import { logLinesFrom } from '../../../agent/docker/log-frames.ts';

function frame(stream: 1 | 2, text: string): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt8(stream, 0);
  header.writeUInt32BE(Buffer.byteLength(text), 4);
  return Buffer.concat([header, Buffer.from(text)]);
}

describe('logLinesFrom', () => {
  it('demultiplexes stdout and stderr frames into lines in the order they were logged', () => {
    const payload = Buffer.concat([
      frame(1, 'started\n'),
      frame(2, 'warning: slow disk\r\n'),
      frame(1, 'ready\n'),
    ]);

    expect(logLinesFrom(payload)).toStrictEqual(['started', 'warning: slow disk', 'ready']);
  });

  it('reads the raw text of a TTY container, which the engine does not multiplex', () => {
    expect(logLinesFrom(Buffer.from('one\r\ntwo\n'))).toStrictEqual(['one', 'two']);
  });

  it('keeps the last line when it has no newline, and answers no lines for an empty log', () => {
    expect(logLinesFrom(Buffer.concat([frame(1, 'a\n'), frame(2, 'b')]))).toStrictEqual(['a', 'b']);
    expect(logLinesFrom(Buffer.alloc(0))).toStrictEqual([]);
  });
});
