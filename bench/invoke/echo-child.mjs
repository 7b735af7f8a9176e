// The floor: a child process that answers each frame on its fd 3 socket at once, with no runtime
// around it — the same channel and framing the Node bootstrap uses (dist/runtime/frames.js).
import { Socket } from 'node:net';
import { encodeFrame, FrameReader } from '../../dist/runtime/frames.js';

const channel = new Socket({ fd: 3, readable: true, writable: true });
const reader = new FrameReader(() => channel.write(encodeFrame({ t: 'result', ms: 0, rss: 0 }, 'null')));
channel.on('data', (chunk) => reader.push(chunk));
channel.on('end', () => process.exit(0));
