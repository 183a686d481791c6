// A modal question before a step that cannot be undone. The native <dialog> keeps focus inside
// while open, closes on Escape, and gives focus back to what had it.

import { h, uniqueId } from "../shared/dom";

/** Resolves to true if the user pressed `action`, false if they cancelled. */
export function confirm(question: string, action: string): Promise<boolean> {
  const yes = h("button", { type: "submit", class: "danger", value: "yes" }, action);
  // The safe choice has focus first, so an Enter pressed out of habit cancels.
  const no = h("button", { type: "submit", class: "secondary", value: "no", autofocus: true }, "Cancel");
  const heading = h("h2", {}, question);
  heading.id = uniqueId("confirm");
  const dialog = h(
    "dialog",
    { "aria-labelledby": heading.id },
    h("form", { method: "dialog" }, heading, h("div", { class: "actions" }, no, yes)),
  );
  document.body.append(dialog);
  return new Promise((resolve) => {
    dialog.addEventListener("close", () => {
      dialog.remove();
      resolve(dialog.returnValue === "yes");
    });
    dialog.showModal();
  });
}
