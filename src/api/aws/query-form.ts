/**
 * The AWS query protocol's form parameters (`Action=…&Attribute.1.Name=…&Tags.member.2.Key=…`) as a
 * tree of dotted paths, shared by the services that speak it (SQS, SNS). Each service turns the tree
 * into its own request shape: which numbered groups are lists and which are maps differs between them.
 */

/** The action and the parameters as a tree (numbered segments stay object keys: see `numbered`). */
export function parseQueryForm(params: URLSearchParams): { action: string; tree: Record<string, unknown> } {
  const tree: Record<string, unknown> = Object.create(null);
  for (const [key, value] of params) {
    if (key === 'Action' || key === 'Version') continue;
    const path = key.split('.');
    // Parameter names become object keys: names that are Object.prototype members are not parameters.
    if (path.some((segment) => segment in Object.prototype)) continue;
    setPath(tree, path, value);
  }
  return { action: params.get('Action') ?? '', tree };
}

/** True for a node whose keys are all numbers (`Attribute.1`, `Attribute.2`…). */
export function isNumbered(value: unknown): value is Record<string, unknown> {
  return (
    typeof value === 'object' &&
    value !== null &&
    Object.keys(value).length > 0 &&
    Object.keys(value).every((k) => /^\d+$/.test(k))
  );
}

/** A numbered node's values in number order. */
export function numbered(value: Record<string, unknown>): unknown[] {
  return Object.keys(value)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => value[k]);
}

function setPath(node: Record<string, unknown>, path: string[], value: string): void {
  const [head, ...rest] = path as [string, ...string[]];
  if (rest.length === 0) {
    node[head] = value;
    return;
  }
  if (typeof node[head] !== 'object' || node[head] === null) node[head] = Object.create(null);
  setPath(node[head] as Record<string, unknown>, rest, value);
}
