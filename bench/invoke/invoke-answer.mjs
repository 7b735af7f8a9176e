// The answer both serve-benchmark floors give an invoke: `null` for a Lambda Invoke, a small JSON
// object for the native invoke path, with the headers the SDK reads.
const NATIVE = Buffer.from('{"requestId":"r","statusCode":200,"executedVersion":"$LATEST","payload":null}');
const LAMBDA = Buffer.from('null');

/** Answers `req` on `res` as a finished no-op invoke. */
export function answerInvoke(req, res) {
  const body = req.url?.startsWith('/_lambdata/') ? NATIVE : LAMBDA;
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': body.length,
    'x-amz-executed-version': '$LATEST',
  });
  res.end(body);
}
