// Data tables that stay tables on a phone: below 40rem the CSS lays each row out as a card
// (display: block), and browsers drop a table's semantics when its display changes, so the
// roles are set explicitly. Each cell carries its column's name for the card's labels. The
// caption names the table for assistive technology only: every table sits under a heading that
// shows the same name.

import { h, type Child } from "./dom";

export interface DataTable {
  table: HTMLTableElement;
  body: HTMLTableSectionElement;
  columns: string[];
}

export function dataTable(caption: string, columns: string[]): DataTable {
  const head = h("thead", { role: "rowgroup" }, h("tr", { role: "row" }, ...columns.map((c) => h("th", { scope: "col", role: "columnheader" }, c))));
  const body = h("tbody", { role: "rowgroup" });
  const table = h("table", { role: "table", class: "data" }, h("caption", { class: "visually-hidden" }, caption), head, body);
  return { table, body, columns };
}

/** A row of `table`, one cell per column, in order. */
export function row(table: DataTable, ...cells: Child[][]): HTMLTableRowElement {
  return h("tr", { role: "row" }, ...cells.map((content, i) => h("td", { role: "cell", "data-label": table.columns[i] }, ...content)));
}
