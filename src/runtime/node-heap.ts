/**
 * V8 heap limits of a Node environment, derived from its function's memory size as AWS's Node.js
 * runtime bootstrap derives them: a tenth of the memory for the young generation (half of that per
 * semi-space), the rest for the old generation. Without them V8 sizes its heap for the machine, so
 * a 128 MB function that allocates freely grows past its memory before V8 collects.
 */

/** Node flags that set the heap limits for `memoryMb`, leaving out any the function's NODE_OPTIONS sets itself. */
export function nodeHeapArgs(memoryMb: number, nodeOptions = ''): string[] {
  const youngMb = Math.floor(memoryMb / 10);
  const args: string[] = [];
  if (!nodeOptions.includes('--max-semi-space-size')) args.push(`--max-semi-space-size=${Math.floor(youngMb / 2)}`);
  if (!nodeOptions.includes('--max-old-space-size')) args.push(`--max-old-space-size=${memoryMb - youngMb}`);
  return args;
}
