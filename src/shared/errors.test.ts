import { describe, expect, it } from 'vitest';
import { hasCode, LambdataError, ResourceNotFound, TooManyRequests } from './errors.js';

describe('errors', () => {
  it('carry AWS codes and statuses and keep their cause', () => {
    const cause = new Error('disk');
    const err = new ResourceNotFound('Function not found: f', { cause });
    expect(err).toBeInstanceOf(LambdataError);
    expect(err.code).toBe('ResourceNotFoundException');
    expect(err.status).toBe(404);
    expect(err.name).toBe('ResourceNotFound');
    expect(err.cause).toBe(cause);
    expect(hasCode(err, 'ResourceNotFoundException')).toBe(true);
    expect(hasCode(new TooManyRequests('slow down'), 'ResourceNotFoundException')).toBe(false);
    expect(new TooManyRequests('x').status).toBe(429);
  });
});
