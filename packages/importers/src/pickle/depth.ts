import { exceeded } from './limits.js';
import { NdArray, PyDict, PyObject, PySet, PySlice, PyTuple, type PyValue } from './values.js';

type Container = object;

function children(v: PyValue): PyValue[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof PyTuple) return v.items;
  if (v instanceof PyDict) return [...v.entries.values()];
  if (v instanceof PySet) return v.items;
  if (v instanceof PySlice) return [v.start, v.stop, v.step];
  if (v instanceof PyObject) {
    const out: PyValue[] = [...v.args, v.state, ...v.listItems, ...v.dictItems.values()];
    if (v.kwargs) out.push(...v.kwargs.entries.values());
    return out;
  }
  if (v instanceof NdArray && Array.isArray(v.data)) return v.data as PyValue[];
  return undefined;
}

/**
 * Refuses a value nested deeper than `maxDepth` containers, as a converter walking it recursively would meet it.
 * The walk is iterative and visits every container once (shared references are not expanded), so it costs what
 * the parse did. Cycles, which pickles can express, are not followed.
 */
export function checkDepth(root: PyValue, maxDepth: number): void {
  const finished = new WeakMap<Container, number>();
  const onPath = new WeakSet<Container>();
  type Frame = { node: Container; items: PyValue[]; next: number; depth: number };
  const rootItems = children(root);
  if (!rootItems) return;
  const path: Frame[] = [{ node: root as Container, items: rootItems, next: 0, depth: 1 }];
  onPath.add(root as Container);
  while (path.length > 0) {
    const frame = path[path.length - 1]!;
    if (frame.next < frame.items.length) {
      const child = frame.items[frame.next++] as PyValue;
      const grandChildren = children(child);
      if (!grandChildren) continue;
      const node = child as Container;
      const known = finished.get(node);
      if (known !== undefined) {
        frame.depth = Math.max(frame.depth, 1 + known);
      } else if (!onPath.has(node)) {
        if (path.length >= maxDepth) throw exceeded(`values nested more than ${maxDepth} deep`, 'maxDepth');
        onPath.add(node);
        path.push({ node, items: grandChildren, next: 0, depth: 1 });
      }
      continue;
    }
    path.pop();
    onPath.delete(frame.node);
    finished.set(frame.node, frame.depth);
    if (frame.depth > maxDepth) throw exceeded(`values nested more than ${maxDepth} deep`, 'maxDepth');
    const parent = path[path.length - 1];
    if (parent) parent.depth = Math.max(parent.depth, 1 + frame.depth);
  }
}
