/**
 * Reading a template document: YAML (with CloudFormation's short-form tags `!Ref`, `!GetAtt`,
 * `!Sub` …, each read as its long form `{ "Fn::…": … }`) or JSON, through the `yaml` package.
 */
import { type CollectionTag, isNode, parseDocument, type ScalarTag, visit } from 'yaml';
import { TemplateInvalid } from './errors.js';

/** The short forms CloudFormation's YAML accepts, and the long form each stands for. */
const SHORT_FORMS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'And',
  'Equals',
  'If',
  'Not',
  'Or',
  'Condition',
  'Ref',
] as const;

const TAGS = SHORT_FORMS.flatMap((name) => tagsOf(name));
const KNOWN_TAGS = new Set(SHORT_FORMS.map((name) => `!${name}`));

/**
 * The document of a template's text, with short-form tags read as long forms.
 * @throws TemplateInvalid (ValidationError) naming the file and position of a YAML error.
 */
export function readDocument(text: string, file: string): Record<string, unknown> {
  const parsed = parseDocument(text, { customTags: TAGS, prettyErrors: true, logLevel: 'error' });
  const [error] = parsed.errors;
  if (error) throw new TemplateInvalid(`${file} is not valid YAML: ${error.message}`, { cause: error });
  // A tag no one knows (`!Frobnicate x`) becomes `{ "!Frobnicate": x }`, which the intrinsics refuse
  // naming the property it sits in.
  visit(parsed, {
    Node(_, node) {
      if (!isNode(node) || !node.tag?.startsWith('!') || KNOWN_TAGS.has(node.tag)) return undefined;
      return parsed.createNode({ [node.tag]: node.toJSON() });
    },
  });
  let doc: unknown;
  try {
    doc = parsed.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    throw new TemplateInvalid(`${file} is not valid YAML: ${(err as Error).message}`, { cause: err });
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new TemplateInvalid(`${file} must hold a mapping at the top`);
  }
  return doc as Record<string, unknown>;
}

/** `!Name` as a scalar, a sequence and a mapping; `!GetAtt a.b` is split into `[a, b]` as CloudFormation does. */
function tagsOf(name: string): Array<ScalarTag | CollectionTag> {
  const tag = `!${name}`;
  const key = name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
  const scalar: ScalarTag = {
    tag,
    resolve: (value: string) => {
      if (name === 'GetAtt') {
        const dot = value.indexOf('.');
        return { [key]: dot < 0 ? [value] : [value.slice(0, dot), value.slice(dot + 1)] };
      }
      return { [key]: value };
    },
  };
  const collection = (kind: 'seq' | 'map'): CollectionTag => ({
    tag,
    collection: kind,
    resolve: (node) => ({ [key]: node.toJSON() }) as never,
  });
  return [scalar, collection('seq'), collection('map')];
}
