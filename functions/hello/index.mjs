// The demo function `npm start` deploys: greets, logs, and reports what its environment gives it.
export const handler = async (event, context) => {
  const name = typeof event?.name === 'string' ? event.name : 'world';
  console.log(`hello ${name} from ${context.functionName}`);
  return {
    greeting: `hello ${name}`,
    requestId: context.awsRequestId,
    memoryLimitInMB: context.memoryLimitInMB,
    remainingTimeInMillis: context.getRemainingTimeInMillis(),
  };
};
