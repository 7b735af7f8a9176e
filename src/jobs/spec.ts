/** Validation of what a user submits: a job spec, or a pipeline's stages. */
import { InvalidParameterValue } from '../shared/errors.js';
import type { JobSpec, PipelineStageSpec } from './types.js';

const POSITIVE = [
  'splitSize',
  'taskSize',
  'fanout',
  'partitions',
  'maxAttempts',
  'concurrency',
  'reduceBudgetBytes',
] as const;
/** Settings only the pipeline as a whole has. */
const PIPELINE_ONLY = ['input', 'output', 'stages', 'cluster', 'target'] as const;

/** Checks a spec's shape (not whether its bucket or functions exist). @throws InvalidParameterValue naming the bad field. */
export function validateSpec(spec: JobSpec): void {
  if (!spec || typeof spec !== 'object') throw new InvalidParameterValue('a job spec object is required');
  if (!spec.input || typeof spec.input.bucket !== 'string' || !spec.input.bucket)
    throw new InvalidParameterValue('input.bucket is required');
  if (spec.input.keys !== undefined && !Array.isArray(spec.input.keys))
    throw new InvalidParameterValue('input.keys must be a list of keys');
  const sizes = spec.input.sizes;
  if (
    sizes !== undefined &&
    (!Array.isArray(sizes) ||
      sizes.length !== spec.input.keys?.length ||
      !sizes.every((size) => Number.isSafeInteger(size) && size >= 0))
  )
    throw new InvalidParameterValue('input.sizes must be one size in bytes (an integer ≥ 0) per key of input.keys');
  if (spec.output !== undefined && (typeof spec.output?.bucket !== 'string' || typeof spec.output.prefix !== 'string'))
    throw new InvalidParameterValue('output must be { bucket, prefix }');
  if (
    spec.target !== undefined &&
    (typeof spec.target !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(spec.target))
  )
    throw new InvalidParameterValue('target must name a target (local, or one added with lambdata targets add)');
  if (spec.stages === undefined) {
    validateStage(spec, '');
    return;
  }
  if (!Array.isArray(spec.stages) || spec.stages.length === 0)
    throw new InvalidParameterValue('stages must be a non-empty list of stages');
  if (spec.stages.length > 20) throw new InvalidParameterValue('a pipeline has at most 20 stages');
  spec.stages.forEach((stage, i) => {
    if (!stage || typeof stage !== 'object') throw new InvalidParameterValue(`stages[${i}] must be an object`);
    for (const name of PIPELINE_ONLY) {
      if ((stage as Record<string, unknown>)[name] !== undefined)
        throw new InvalidParameterValue(`stages[${i}].${name} is not allowed: a pipeline wires each stage's ${name}`);
    }
    validateStage(stage, `stages[${i}].`);
  });
  if (spec.mapper !== undefined && spec.mapper !== spec.stages[0]?.mapper)
    throw new InvalidParameterValue("a pipeline's mapper is its first stage's; leave mapper out");
}

function validateStage(stage: PipelineStageSpec, at: string): void {
  if (typeof stage.mapper !== 'string' || !stage.mapper)
    throw new InvalidParameterValue(`${at}mapper must name a function`);
  if (stage.reducer !== undefined && (typeof stage.reducer !== 'string' || !stage.reducer))
    throw new InvalidParameterValue(`${at}reducer must name a function`);
  for (const name of POSITIVE) {
    const value = stage[name];
    if (value !== undefined && (!Number.isInteger(value) || value < 1))
      throw new InvalidParameterValue(`${at}${name} must be a positive integer`);
  }
  if (stage.mode !== undefined && stage.mode !== 'aggregate' && stage.mode !== 'scatter')
    throw new InvalidParameterValue(`${at}mode must be 'aggregate' or 'scatter'`);
  if (stage.mapper === 'grep' && typeof stage.params?.pattern !== 'string')
    throw new InvalidParameterValue(`${at}grep needs params.pattern`);
}
