import { LambdataError } from '../shared/errors.js';

/** An HTTP/HTTPS subscription endpoint answered with a status other than 2xx (the delivery is retried). */
export class EndpointRefused extends LambdataError {
  constructor(endpoint: string, status: number) {
    super('EndpointRefused', `The endpoint ${endpoint} answered ${status}`, 502);
  }
}
