import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameReader } from './frames.js';
import { INVALID_FRAME } from './run-errors.js';

type Message = { t: string; id?: string; p?: Buffer };

function collect() {
  const messages: Message[] = [];
  return { messages, reader: new FrameReader<Message>((message) => messages.push(message)) };
}

describe('frames', () => {
  it('carries a header and raw payload bytes, multi-byte text included, and no body when there is none', () => {
    const { messages, reader } = collect();
    const payload = Buffer.from('{"text":"héllo ✓ \\u0000","n":[1,2]}');
    reader.push(Buffer.concat([encodeFrame({ t: 'invoke', id: 'ü-1' }, payload), encodeFrame({ t: 'ready' })]));
    expect(messages).toHaveLength(2);
    expect(messages[0]?.t).toBe('invoke');
    expect(messages[0]?.id).toBe('ü-1');
    expect(messages[0]?.p?.equals(payload)).toBe(true);
    expect(messages[1]).toEqual({ t: 'ready' });
    const text = collect();
    text.reader.push(encodeFrame({ t: 'result' }, '"ünïcode"'));
    expect(text.messages[0]?.p?.toString('utf8')).toBe('"ünïcode"');
  });

  it('reassembles frames split at every byte boundary and several frames in one chunk', () => {
    const frames = [
      encodeFrame({ t: 'a' }, Buffer.from('[1]')),
      encodeFrame({ t: 'b' }),
      encodeFrame({ t: 'c' }, 'x'.repeat(70_000)),
    ];
    const stream = Buffer.concat(frames);
    for (const size of [1, 3, 7, 8, 9, 64, 65_536]) {
      const { messages, reader } = collect();
      for (let at = 0; at < stream.length; at += size) reader.push(stream.subarray(at, at + size));
      expect(messages.map((m) => m.t)).toEqual(['a', 'b', 'c']);
      expect(messages[0]?.p?.toString()).toBe('[1]');
      expect(messages[1]?.p).toBeUndefined();
      expect(messages[2]?.p?.length).toBe(70_000);
    }
  });

  it('does not let a payload share memory with the chunk it arrived in beside other frames', () => {
    const { messages, reader } = collect();
    const chunk = Buffer.concat([encodeFrame({ t: 'a' }, '1'), encodeFrame({ t: 'b' }, '2')]);
    reader.push(chunk);
    chunk.fill(0);
    expect(messages.map((m) => m.p?.toString())).toEqual(['1', '2']);
  });

  it('rejects a frame over the limit from its length alone, and a header that is not a JSON object', () => {
    const limited = new FrameReader<Message>(() => {}, 1024);
    const prefix = Buffer.alloc(8);
    prefix.writeUInt32LE(0xffffffff, 0);
    expect(() => limited.push(prefix.subarray(0, 4))).toThrow(expect.objectContaining({ code: INVALID_FRAME }));
    expect(() => new FrameReader<Message>(() => {}, 1024).push(encodeFrame({ t: 'x' }, 'y'.repeat(2000)))).toThrow(
      expect.objectContaining({ code: INVALID_FRAME }),
    );
    new FrameReader<Message>(() => {}, 1024).push(encodeFrame({ t: 'x' }, 'y'.repeat(1000))); // under the limit
    const notJson = Buffer.from('nope');
    const frame = Buffer.alloc(8 + notJson.length);
    frame.writeUInt32LE(4 + notJson.length, 0);
    frame.writeUInt32LE(notJson.length, 4);
    notJson.copy(frame, 8);
    expect(() => collect().reader.push(frame)).toThrow(expect.objectContaining({ code: INVALID_FRAME }));
    const array = encodeFrame([1]);
    expect(() => collect().reader.push(array)).toThrow(expect.objectContaining({ code: INVALID_FRAME }));
    const overlong = encodeFrame({ t: 'x' });
    overlong.writeUInt32LE(100, 4); // header longer than its frame
    expect(() => collect().reader.push(overlong)).toThrow(expect.objectContaining({ code: INVALID_FRAME }));
  });
});
