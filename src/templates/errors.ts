/** The templates' own error conditions (CloudFormation answers them all as `ValidationError`). */
import { LambdataError } from '../shared/errors.js';

/**
 * A template (SAM, CloudFormation or serverless.yml) cannot be turned into a plan: a malformed
 * document, an unknown intrinsic function or variable source, a cycle between resources, a missing
 * parameter or CodeUri. The message names the resource or property at fault.
 */
export class TemplateInvalid extends LambdataError {
  constructor(message: string, options?: ErrorOptions) {
    super('ValidationError', message, 400, options);
  }
}
