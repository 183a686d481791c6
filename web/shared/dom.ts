// Building the DOM in plain TypeScript: one element helper, ids for label/input pairs.
// Event handlers are attached with addEventListener, never as attributes (the CSP forbids them).

export type Child = Node | string | null | undefined | false;

/** Attributes by name; `true` sets an empty attribute, `false` and `undefined` leave it out. */
export type Attrs = Record<string, string | number | boolean | undefined>;

/** `h("button", { type: "button" }, "Save")`: an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === true) element.setAttribute(name, "");
    else if (value !== false && value !== undefined) element.setAttribute(name, String(value));
  }
  element.append(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
  return element;
}

let counter = 0;

/** A document-unique id, for `for=`, `aria-describedby` and `aria-labelledby`. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A labelled form control with an optional hint; the hint is part of the control's description. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement, hint?: string): HTMLElement {
  control.id ||= uniqueId("field");
  const parts: Child[] = [h("label", { for: control.id }, label)];
  if (hint !== undefined) {
    const hintId = `${control.id}-hint`;
    control.setAttribute("aria-describedby", hintId);
    parts.push(h("p", { class: "hint", id: hintId }, hint));
  }
  return h("div", { class: "field" }, ...parts, control);
}

/** The element with this id, which the page's HTML must have. */
export function byId(id: string): HTMLElement {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`the page has no element #${id}`);
  return element;
}

/**
 * A button that shows `action` and is named "<action> <subject>", for the buttons of a list's
 * rows: each says what it acts on. The subject is visually hidden text rather than aria-label,
 * so the name is the button's own text, and no label lookup takes a button for a form field.
 */
export function actionButton(action: string, subject: string, kind = "secondary"): HTMLButtonElement {
  return h("button", { type: "button", class: kind }, action, h("span", { class: "visually-hidden" }, ` ${subject}`));
}
