// Small typed helpers over the DOM for the page scripts.

/**
 * The element with this id, checked to be of the expected kind: the scripts and the server views agree on
 * ids, and a page where one is missing is broken, so it fails here, saying which.
 */
export function byId<T extends HTMLElement = HTMLElement>(id: string, kind?: abstract new () => T): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`The page has no element #${id}.`);
  if (kind && !(node instanceof kind)) throw new Error(`#${id} is a <${node.tagName.toLowerCase()}>, not the expected kind of element.`);
  return node as T;
}

/** The form's field of this name, checked to be of the expected kind. */
export function fieldOf<T extends Element>(form: HTMLFormElement, name: string, kind: abstract new () => T): T {
  const field = form.elements.namedItem(name);
  if (!(field instanceof kind)) throw new Error(`#${form.id} has no field "${name}" of the expected kind.`);
  return field;
}

/** A data- attribute the server view always writes (e.g. the URLs with the job's token). */
export function dataOf(node: HTMLElement, key: string): string {
  const value = node.dataset[key];
  if (value === undefined) throw new Error(`#${node.id} has no data-${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} attribute.`);
  return value;
}

/** Sets an element's text (never HTML), leaving it alone when unchanged so screen readers are not re-told. */
export function setText(id: string, text: string): void {
  const node = byId(id);
  if (node.textContent !== text) node.textContent = text;
}
