// The floor for the serve benchmarks: a bare node:http server in its own process that answers every
// request at once (`null` for a Lambda Invoke, a small JSON object for the native invoke path).
// Prints `listening on http://127.0.0.1:PORT` like `lambdata serve` does.
import { createServer } from 'node:http';
import { answerInvoke } from './invoke-answer.mjs';

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    answerInvoke(req, res);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
