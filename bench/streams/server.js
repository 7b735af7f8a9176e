// Child process of ingest.js: `node server.js engine <dataDir>` runs lambdata; `node server.js bare`
// runs a node:http server that answers PutRecords at once (the HTTP round-trip floor).
import { createServer } from 'node:http';

const [mode, dataDir] = process.argv.slice(2);
if (mode === 'engine') {
  const { createEngine } = await import('../../dist/engine.js');
  const { startServer } = await import('../../dist/api/index.js');
  const engine = await createEngine({ dataDir, background: false });
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
