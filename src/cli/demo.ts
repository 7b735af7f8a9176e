import type { Engine } from '../engine.js';
import { BGZIP_INDEX_SUFFIX, encodeBgzip, generateText, remixText } from '../jobs/index.js';
import { packagePath } from '../shared/paths.js';
import { seedViewsDemo, VIEWS_DEMO } from './demo-views.js';

/**
 * The demo bucket and its corpus: 48 deterministic text objects of 0.4–1.2 MB (about 38 MB, so the
 * first job visibly streams), remixed from a few generated texts so seeding takes seconds, and one
 * bgzip object.
 */
const BUCKET = 'demo';
const OBJECTS = 48;
const BASES = 4;
const HELLO = 'hello';

/**
 * Seeds the demo for `npm start`: deploys the built-in functions and fills the `demo` bucket with
 * a generated corpus (the same bytes every time; objects already present are left alone, so
 * restarts are cheap), then prints what to try.
 */
export async function seedDemo(engine: Engine, url: string, out: (text: string) => void): Promise<void> {
  if (!engine.objects.listBuckets().some((b) => b.name === BUCKET)) engine.objects.createBucket(BUCKET);
  let written = 0;
  let bases: Buffer[] | undefined;
  for (let i = 0; i < OBJECTS; i++) {
    const key = `corpus/part-${String(i).padStart(3, '0')}.txt`;
    if (exists(engine, key)) continue;
    bases ??= Array.from({ length: BASES }, (_, b) => generateText({ seed: 1000 + b, bytes: 1_000_000 }));
    const body = remixText(bases, 1000 + i, 400_000 + ((i * 7919) % 800_000));
    await engine.objects.putObject(BUCKET, key, body, { contentType: 'text/plain' });
    written++;
  }
  const blocked = 'compressed/large.txt.gz';
  if (!exists(engine, blocked + BGZIP_INDEX_SUFFIX)) {
    const { data, index } = encodeBgzip(generateText({ seed: 2000, bytes: 2_000_000 }), 256 * 1024);
    await engine.objects.putObject(BUCKET, blocked, data);
    await engine.objects.putObject(BUCKET, blocked + BGZIP_INDEX_SUFFIX, JSON.stringify(index));
    written++;
  }
  await engine.jobs.deployBuiltins();
  if (!engine.functions.has(HELLO)) {
    await engine.functions.create({
      name: HELLO,
      handler: 'index.handler',
      code: { dir: packagePath('functions/hello') },
    });
  }
  await seedViewsDemo(engine);
  const endpoint = url === 'http://127.0.0.1:4566' ? '' : ` --endpoint ${url}`;
  out(
    [
      '',
      `Demo ready: bucket s3://${BUCKET} (${OBJECTS} text objects under corpus/, one bgzip object under compressed/${written ? `; wrote ${written}` : ''}).`,
      `Functions deployed: ${HELLO} (a demo handler), and the built-ins wordcount, wordfreq, grep, cascade, reducer, collector.`,
      `Lambda Architecture: the collector puts tweets into stream ${VIEWS_DEMO.stream}, dataset ${VIEWS_DEMO.dataset} archives it, view ${VIEWS_DEMO.view} counts words (recomputed every minute).`,
      '',
      'Try:',
      `  npx lambdata${endpoint} invoke ${HELLO} '{"name":"you"}' --tail`,
      `  npx lambdata${endpoint} run wordcount s3://${BUCKET}/corpus/`,
      `  npx lambdata${endpoint} run wordfreq s3://${BUCKET}/corpus/ --partitions 4`,
      `  npx lambdata${endpoint} run grep s3://${BUCKET}/corpus/ --pattern 'Kalo'`,
      `  npx lambdata${endpoint} run wordcount s3://${BUCKET}/corpus/ --scatter --json`,
      `  npx lambdata${endpoint} run wordcount s3://${BUCKET}/compressed/ --split 256KB`,
      `  npx lambdata${endpoint} views query ${VIEWS_DEMO.view} the`,
      `  curl ${url}/_lambdata/jobs`,
      `  dashboard: ${url}/_lambdata/ui/   (live word counts: ${url}/_lambdata/ui/#/views)`,
      '',
    ].join('\n'),
  );
}

function exists(engine: Engine, key: string): boolean {
  try {
    engine.objects.headObject(BUCKET, key);
    return true;
  } catch (err) {
    if ((err as { code?: string }).code === 'NoSuchKey') return false;
    throw err;
  }
}
