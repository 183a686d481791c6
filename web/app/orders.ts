// Orders: a new order with a quantity per product, and the tenant's orders. The service prices
// every line from the product records and computes the total; both are shown as it sends them.
// Each line also carries the price the user saw, so an order is refused (409) rather than
// placed at a price that changed meanwhile.

import { segment, type Api } from "../shared/api";
import { field, h, uniqueId } from "../shared/dom";
import { guarded, type Notices } from "../shared/notices";
import { dataTable, row } from "../shared/table";
import type { Product } from "./products";

interface Line {
  productId: string;
  price: string;
  quantity: number;
}

interface Order {
  id: string;
  name: string;
  lines: Line[];
  total: string;
}

interface OrderPage {
  items: Order[];
  nextCursor?: string;
}

const PAGE_SIZE = 100;

export class OrdersView {
  readonly element: HTMLElement;
  private readonly quantities = h("fieldset", { class: "quantities" }, h("legend", {}, "Quantities"));
  private readonly table = dataTable("Orders", ["Name", "Items", "Total"]);
  private readonly more = h("button", { type: "button", class: "secondary", hidden: true }, "More orders");
  private products: Product[] = [];
  /** Each product's quantity input, kept across product reloads so typed values stay. */
  private readonly inputs = new Map<string, HTMLInputElement>();
  private cursor: string | undefined;

  constructor(
    private readonly api: Api,
    notices: Notices,
    private readonly tenant: string,
  ) {
    const name = h("input", { name: "orderName", autocomplete: "off", required: true });
    const form = h("form", { novalidate: true }, field("Order name", name), this.quantities, h("button", { type: "submit" }, "Place order"));
    form.addEventListener(
      "submit",
      guarded(notices, async () => {
        const order = await api.post<Order>(this.path(), { name: name.value, lines: this.lines() });
        notices.success(`Order placed: ${order.name}, total ${order.total}.`);
        form.reset();
        await this.load();
      }),
    );
    this.more.addEventListener("click", guarded(notices, () => this.load(this.cursor)));
    const newOrder = h("h2", { id: uniqueId("new-order") }, "New order");
    const orders = h("h2", { id: uniqueId("orders") }, "Orders");
    this.element = h(
      "div",
      {},
      h("section", { "aria-labelledby": newOrder.id }, newOrder, form),
      h("section", { "aria-labelledby": orders.id }, orders, this.table.table, this.more),
    );
  }

  /** One quantity input per product, in the products' order. */
  setProducts(products: Product[]): void {
    this.products = products;
    const inputs = products.map((product) => {
      let input = this.inputs.get(product.id);
      if (input === undefined) {
        input = h("input", { type: "number", min: 0, max: 10000, step: 1, value: 0, inputmode: "numeric" });
        this.inputs.set(product.id, input);
      }
      return field(`Quantity of ${product.name}`, input, `${product.price} each`);
    });
    for (const id of this.inputs.keys()) if (!products.some((p) => p.id === id)) this.inputs.delete(id);
    const legend = this.quantities.querySelector("legend");
    this.quantities.replaceChildren(...(legend ? [legend] : []), ...(inputs.length > 0 ? inputs : [h("p", {}, "Add a product first.")]));
  }

  /** The lines with a quantity; a quantity that is not a whole number is sent as typed, for the service to name. */
  private lines(): Line[] {
    return this.products.flatMap((product) => {
      const text = this.inputs.get(product.id)?.value.trim() ?? "";
      const quantity = text === "" ? 0 : Number(text);
      return quantity === 0 ? [] : [{ productId: product.id, price: product.price, quantity }];
    });
  }

  /** The first page of orders, or with `cursor` the next one, appended. */
  async load(cursor?: string): Promise<void> {
    const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
    if (cursor !== undefined) query.set("cursor", cursor);
    const page = await this.api.get<OrderPage>(`${this.path()}?${query}`);
    const rows = page.items.map((order) => row(this.table, [order.name], [this.describe(order)], [order.total]));
    if (cursor === undefined) this.table.body.replaceChildren(...rows);
    else this.table.body.append(...rows);
    this.cursor = page.nextCursor;
    this.more.hidden = page.nextCursor === undefined;
  }

  private describe(order: Order): string {
    return order.lines
      .map((line) => {
        const product = this.products.find((p) => p.id === line.productId);
        return `${line.quantity} × ${product?.name ?? "a deleted product"} at ${line.price}`;
      })
      .join("; ");
  }

  private path(): string {
    return `/${segment(this.tenant)}/orders`;
  }
}
