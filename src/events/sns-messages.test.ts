import { describe, expect, it } from 'vitest';
import { expandLambdaEvent, lambdaEvent, type SnsMessage, storedLambdaEvent } from './sns-messages.js';

const SUBSCRIPTION = 'arn:aws:sns:us-east-1:000000000000:orders:5f0c7a57-0f0e-4b8e-9a51-3c1d2e4f5a6b';
const ENDPOINT = 'http://127.0.0.1:4566/';

describe('the Lambda event as the delivery queue stores it', () => {
  it('expands into exactly the event a subscribed function receives, binary attributes and no subject included', () => {
    const messages: SnsMessage[] = [
      {
        messageId: 'b9e1c1a4-7d5e-4f7a-9a52-0d6f1c2b3e4d',
        topicArn: 'arn:aws:sns:us-east-1:000000000000:orders',
        message: '{"order":42,"note":"caf\u00e9 \\"quoted\\""}',
        subject: 'shipping',
        timestamp: '2026-12-07T14:00:00.000Z',
        attributes: {
          kind: { dataType: 'String', stringValue: 'shipped' },
          blob: { dataType: 'Binary', binaryValue: Buffer.from([0, 1, 254, 255]) },
        },
      },
      {
        messageId: 'c0f2d2b5-8e6f-4a8b-8b63-1e7a2d3c4f5e',
        topicArn: 'arn:aws:sns:us-east-1:000000000000:orders',
        message: 'plain text',
        timestamp: '2026-12-07T14:00:01.000Z',
      },
    ];
    for (const m of messages) {
      const stored = storedLambdaEvent(m, SUBSCRIPTION, ENDPOINT);
      expect(JSON.parse(expandLambdaEvent(stored))).toEqual(lambdaEvent(m, SUBSCRIPTION, ENDPOINT));
      expect(stored.length).toBeLessThan(JSON.stringify(lambdaEvent(m, SUBSCRIPTION, ENDPOINT)).length);
    }
    const [first] = messages as [SnsMessage];
    const event = JSON.parse(expandLambdaEvent(storedLambdaEvent(first, SUBSCRIPTION, ENDPOINT)));
    expect(event.Records[0].Sns.MessageAttributes.blob).toEqual({ Type: 'Binary', Value: 'AAH+/w==' });
    expect(event.Records[0].Sns.UnsubscribeUrl).toBe(
      `http://127.0.0.1:4566/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(SUBSCRIPTION)}`,
    );
  });
});
