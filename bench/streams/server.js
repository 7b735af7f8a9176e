// Child process of ingest.js: `node server.js engine <dataDir>` runs lambdata; `node server.js bare`
// runs a node:http server that answers PutRecords at once (the HTTP round-trip floor).
import { createServer } from 'node:http';
import { Worker } from 'node:worker_threads';

/**
 * Experiment for the lead: no WAL checkpoints on the request path (wal_autocheckpoint = 0); a worker
 * thread with its own connection runs PASSIVE checkpoints (and their fsyncs) beside the writer.
 */
function checkpointInBackground(db) {
  db.pragma('wal_autocheckpoint = 0');
  const worker = new Worker(
    `const Database = require('better-sqlite3');
     const db = new Database(require('node:worker_threads').workerData);
     setInterval(() => db.pragma('wal_checkpoint(PASSIVE)'), 200);`,
    { eval: true, workerData: db.name },
  );
  worker.unref();
}

const [mode, dataDir] = process.argv.slice(2);
// Exit normally on SIGTERM so --cpu-prof can write its profile.
process.once('SIGTERM', () => process.exit(0));
if (mode === 'engine') {
  const { createEngine } = await import('../../dist/engine.js');
  const { startServer } = await import('../../dist/api/index.js');
  const engine = await createEngine({ dataDir, background: false });
  if (process.argv[4] === 'background-checkpoint') checkpointInBackground(engine.context.db);
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
