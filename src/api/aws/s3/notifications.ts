/** Get/PutBucketNotificationConfiguration: Lambda function configurations with prefix/suffix filters. */
import { S3Error } from './errors.js';
import { readSmallBody } from './objects.js';
import { type S3Request, sendEmpty } from './request.js';
import { parseXml, sendXml } from './xml.js';

interface FilterRuleXml {
  Name?: string;
  Value?: string;
}

interface TopicConfigurationXml {
  Id?: string;
  Topic?: string;
  Event?: string[];
  Filter?: { S3Key?: { FilterRule?: FilterRuleXml[] } };
}

interface FunctionConfigurationXml {
  Id?: string;
  CloudFunction?: string;
  LambdaFunctionArn?: string;
  Event?: string[];
  Filter?: { S3Key?: { FilterRule?: FilterRuleXml[] } };
}

/** PutBucketNotificationConfiguration (PUT ?notification): function and topic targets (queue targets are not supported). */
export async function putNotificationConfiguration({ engine, req, res, bucket }: S3Request): Promise<void> {
  engine.objects.headBucket(bucket);
  const doc = parseXml(await readSmallBody(req)).NotificationConfiguration as Record<string, unknown> | '' | undefined;
  if (doc === undefined) throw new S3Error('MalformedXML', 'Expected a NotificationConfiguration document');
  const config = doc === '' ? {} : doc;
  if (config.QueueConfiguration) {
    throw new S3Error(
      'NotImplemented',
      'Queue notification targets are not supported; use a topic with a queue subscribed',
    );
  }
  const entries = [
    ...((config.CloudFunctionConfiguration as FunctionConfigurationXml[] | undefined) ?? []),
    ...((config.LambdaFunctionConfiguration as FunctionConfigurationXml[] | undefined) ?? []),
  ];
  const lambdaFunctionConfigurations = entries.map((entry) => {
    const functionArn = entry.CloudFunction ?? entry.LambdaFunctionArn;
    if (!functionArn)
      throw new S3Error('InvalidArgument', 'A function configuration needs CloudFunction (the function ARN)');
    return { ...ruleOf(entry, 'function'), functionArn: String(functionArn) };
  });
  const topicConfigurations = ((config.TopicConfiguration as TopicConfigurationXml[] | undefined) ?? []).map(
    (entry) => {
      if (!entry.Topic) throw new S3Error('InvalidArgument', 'A topic configuration needs Topic (the topic ARN)');
      return { ...ruleOf(entry, 'topic'), topicArn: String(entry.Topic) };
    },
  );
  engine.notifications.putConfiguration(
    bucket,
    topicConfigurations.length
      ? { lambdaFunctionConfigurations, topicConfigurations }
      : { lambdaFunctionConfigurations },
  );
  sendEmpty(res, 200);
}

/** GetBucketNotificationConfiguration (GET ?notification), in S3's CloudFunctionConfiguration shape. */
export async function getNotificationConfiguration({ engine, res, bucket }: S3Request): Promise<void> {
  engine.objects.headBucket(bucket);
  const config = engine.notifications.getConfiguration(bucket);
  const CloudFunctionConfiguration = (config?.lambdaFunctionConfigurations ?? []).map((c) => {
    const rules: FilterRuleXml[] = [];
    if (c.filter?.prefix !== undefined) rules.push({ Name: 'Prefix', Value: c.filter.prefix });
    if (c.filter?.suffix !== undefined) rules.push({ Name: 'Suffix', Value: c.filter.suffix });
    return {
      ...(c.id ? { Id: c.id } : {}),
      CloudFunction: c.functionArn,
      Event: c.events,
      ...(rules.length ? { Filter: { S3Key: { FilterRule: rules } } } : {}),
    };
  });
  const TopicConfiguration = (config?.topicConfigurations ?? []).map((c) => ({
    ...(c.id ? { Id: c.id } : {}),
    Topic: c.topicArn,
    Event: c.events,
    ...filterXml(c.filter),
  }));
  sendXml(res, {
    NotificationConfiguration: {
      ...(TopicConfiguration.length ? { TopicConfiguration } : {}),
      CloudFunctionConfiguration,
    },
  });
}

function filterXml(filter: { prefix?: string; suffix?: string } | undefined): Record<string, unknown> {
  const rules: FilterRuleXml[] = [];
  if (filter?.prefix !== undefined) rules.push({ Name: 'Prefix', Value: filter.prefix });
  if (filter?.suffix !== undefined) rules.push({ Name: 'Suffix', Value: filter.suffix });
  return rules.length ? { Filter: { S3Key: { FilterRule: rules } } } : {};
}

/** The id, events and key filter of a function or topic configuration. */
function ruleOf(
  entry: { Id?: string; Event?: string[]; Filter?: { S3Key?: { FilterRule?: FilterRuleXml[] } } },
  kind: string,
): { id?: string; events: string[]; filter?: { prefix?: string; suffix?: string } } {
  const events = entry.Event ?? [];
  if (events.length === 0) throw new S3Error('InvalidArgument', `A ${kind} configuration needs at least one Event`);
  const filter: { prefix?: string; suffix?: string } = {};
  for (const rule of entry.Filter?.S3Key?.FilterRule ?? []) {
    const name = String(rule.Name ?? '').toLowerCase();
    if (name !== 'prefix' && name !== 'suffix')
      throw new S3Error('InvalidArgument', `Filter rule name must be prefix or suffix, not ${rule.Name}`);
    filter[name] = String(rule.Value ?? '');
  }
  return {
    ...(entry.Id ? { id: String(entry.Id) } : {}),
    events: events.map(String),
    ...(filter.prefix !== undefined || filter.suffix !== undefined ? { filter } : {}),
  };
}
