// Child process of ingest.js: `node server.js engine <dataDir> <background|auto>` runs lambdata with
// that WAL checkpoint mode; `node server.js bare` runs a node:http server that answers PutRecords at
// once (the HTTP round-trip floor). Each line "cpu" on stdin is answered on stdout with the process's
// CPU time so far in µs (all threads) and the main thread's, so the parent can charge the server's
// CPU to the timed part.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';

/** CPU µs of the main thread alone (Linux /proc; undefined elsewhere): the part that serves requests. */
function mainThreadCpu() {
  try {
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
}

const [mode, dataDir, checkpoint] = process.argv.slice(2);
// Exit normally on SIGTERM so --cpu-prof can write its profile.
process.once('SIGTERM', () => process.exit(0));
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.stdout.write(`${JSON.stringify({ all: user + system, main: mainThreadCpu() })}\n`);
  }
});
if (mode === 'engine') {
  const { createEngine } = await import('../../dist/engine.js');
  const { startServer } = await import('../../dist/api/index.js');
  const engine = await createEngine({ dataDir, background: false, checkpoint });
  engine.streams.createStream('bench', { shardCount: 4 });
  const server = await startServer(engine, { port: 0 });
  process.stdout.write(`${server.url}\n`);
} else {
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      // Parse like a real server would, so the floor includes JSON decoding of the batch.
      const { Records } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      const body = JSON.stringify({
        FailedRecordCount: 0,
        Records: Records.map((_, i) => ({ ShardId: 'shardId-000000000000', SequenceNumber: String(i) })),
      });
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`http://127.0.0.1:${server.address().port}\n`));
}
