// The floor for the serve benchmarks: a bare node:http server in its own process that answers every
// request at once (`null` for a Lambda Invoke, a small JSON object for the native invoke path).
// Prints `listening on http://127.0.0.1:PORT` like `lambdata serve` does.
import { createServer } from 'node:http';

const NATIVE = Buffer.from('{"requestId":"r","statusCode":200,"executedVersion":"$LATEST","payload":null}');
const LAMBDA = Buffer.from('null');
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    const body = req.url?.startsWith('/_lambdata/') ? NATIVE : LAMBDA;
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-length': body.length,
      'x-amz-executed-version': '$LATEST',
    });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
