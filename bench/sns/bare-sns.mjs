// The floor of the SNS throughput benchmark: a bare node:http server in its own process answering
// every request with a PublishResponse (or PublishBatchResponse) at once. Prints `listening on URL`.
import { createServer } from 'node:http';

const META = '<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata>';
const NS = 'xmlns="http://sns.amazonaws.com/doc/2010-03-31/"';
const PUBLISH = Buffer.from(
  `<PublishResponse ${NS}><PublishResult><MessageId>00000000-0000-0000-0000-000000000000</MessageId></PublishResult>${META}</PublishResponse>`,
);
const BATCH = Buffer.from(
  `<PublishBatchResponse ${NS}><PublishBatchResult><Successful/><Failed/></PublishBatchResult>${META}</PublishBatchResponse>`,
);
const server = createServer((req, res) => {
  let head = '';
  req.setEncoding('utf8');
  req.on('data', (chunk) => {
    if (head.length < 64) head += chunk;
  });
  req.on('end', () => {
    const body = head.includes('Action=PublishBatch') ? BATCH : PUBLISH;
    res.writeHead(200, { 'content-type': 'text/xml', 'content-length': body.length }).end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening on http://127.0.0.1:${server.address().port}`));
process.on('SIGTERM', () => process.exit(0));
