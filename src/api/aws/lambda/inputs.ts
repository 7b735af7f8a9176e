/** The request shapes of the Lambda REST operations with a JSON body, checked before an operation runs. */
import type { IncomingMessage } from 'node:http';
import { InvalidParameterValue, InvalidRequestContent } from '../../../shared/errors.js';
import { readJson } from '../../http.js';
import { checkInput, type Members, type Shape, type ShapeFailures } from '../request-shape.js';

const STRING_MAP: Shape = { map: 'string' };
const DESTINATION: Shape = { struct: { Destination: 'string' } };
const CODE = {
  ZipFile: 'string',
  S3Bucket: 'string',
  S3Key: 'string',
  S3ObjectVersion: 'string',
  ImageUri: 'string',
} as const;
const CONFIGURATION = {
  FunctionName: 'string',
  Handler: 'string',
  Runtime: 'string',
  Role: 'string',
  Description: 'string',
  MemorySize: 'integer',
  Timeout: 'integer',
  EphemeralStorage: { struct: { Size: 'integer' } },
  Environment: { struct: { Variables: STRING_MAP } },
  DeadLetterConfig: { struct: { TargetArn: 'string' } },
  RevisionId: 'string',
} as const;
const MAPPING = {
  FunctionName: 'string',
  Enabled: 'boolean',
  BatchSize: 'integer',
  MaximumBatchingWindowInSeconds: 'integer',
  ParallelizationFactor: 'integer',
  MaximumRetryAttempts: 'integer',
  MaximumRecordAgeInSeconds: 'integer',
  BisectBatchOnFunctionError: 'boolean',
  TumblingWindowInSeconds: 'integer',
  FunctionResponseTypes: { list: 'string' },
  DestinationConfig: { struct: { OnFailure: DESTINATION, OnSuccess: DESTINATION } },
  ScalingConfig: { struct: { MaximumConcurrency: 'integer' } },
} as const;
const ALIAS = {
  FunctionVersion: 'string',
  Description: 'string',
  RoutingConfig: { struct: { AdditionalVersionWeights: { map: 'number' } } },
  RevisionId: 'string',
} as const;
const URL_CONFIG = { AuthType: 'string', Cors: 'object', InvokeMode: 'string', Qualifier: 'string' } as const;

/** Lambda's answer to a wrong-typed member or a body that is not an object, and to a missing one. */
export const lambdaFailures: ShapeFailures = {
  type: (message) => new InvalidRequestContent(`Could not parse request body into json: ${message}`),
  missing: (message) => new InvalidParameterValue(message),
};

/** Request members of each Lambda operation that takes a JSON body. */
export const inputShapes = {
  CreateFunction: {
    ...CONFIGURATION,
    Code: { struct: CODE },
    Publish: 'boolean',
    PackageType: 'string',
    Tags: STRING_MAP,
    Architectures: { list: 'string' },
  },
  UpdateFunctionCode: { ...CODE, Publish: 'boolean', RevisionId: 'string', DryRun: 'boolean' },
  UpdateFunctionConfiguration: CONFIGURATION,
  PublishVersion: { CodeSha256: 'string', Description: 'string', RevisionId: 'string' },
  PutFunctionConcurrency: { ReservedConcurrentExecutions: 'integer' },
  PutFunctionEventInvokeConfig: {
    MaximumRetryAttempts: 'integer',
    MaximumEventAgeInSeconds: 'integer',
    DestinationConfig: { struct: { OnSuccess: DESTINATION, OnFailure: DESTINATION } },
  },
  TagResource: { Tags: STRING_MAP },
  CreateEventSourceMapping: {
    ...MAPPING,
    EventSourceArn: 'string',
    StartingPosition: 'string',
    StartingPositionTimestamp: 'any',
  },
  UpdateEventSourceMapping: MAPPING,
  CreateAlias: { ...ALIAS, Name: 'string' },
  UpdateAlias: ALIAS,
  AddPermission: {
    StatementId: 'string',
    Action: 'string',
    Principal: 'string',
    SourceArn: 'string',
    SourceAccount: 'string',
    EventSourceToken: 'string',
    PrincipalOrgID: 'string',
    FunctionUrlAuthType: 'string',
    RevisionId: 'string',
  },
  CreateFunctionUrlConfig: URL_CONFIG,
  UpdateFunctionUrlConfig: URL_CONFIG,
} as const satisfies Record<string, Members>;

/**
 * Reads a Lambda request's JSON body and checks it against the operation's members.
 * @throws InvalidRequestContentException for a body that is not JSON, not an object or has a wrong-typed member.
 */
export async function readInput(
  req: IncomingMessage,
  members: Members,
  limit?: number,
): Promise<Record<string, unknown>> {
  return checkInput(await readJson(req, limit), members, lambdaFailures);
}
