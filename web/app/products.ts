// The tenant's products: the list (every page of GET /{tenant}/products), adding one, deleting
// one. Prices are sent as the text the user typed, which the service parses to cents without
// floating point, and shown as the service formats them.

import { segment, type Api } from "../shared/api";
import { actionButton, field, h, uniqueId } from "../shared/dom";
import { guarded, type Notices } from "../shared/notices";
import { dataTable, row } from "../shared/table";

export interface Product {
  id: string;
  name: string;
  /** Two decimals, e.g. "12.50". */
  price: string;
  pictureUrl?: string;
}

interface ProductPage {
  items: Product[];
  nextCursor?: string;
}

const PAGE_SIZE = 100;

export class ProductsView {
  readonly element: HTMLElement;
  private readonly heading = h("h2", { id: uniqueId("products"), tabindex: "-1" }, "Products");
  private readonly table = dataTable("Products", ["Name", "Price", "Picture", "Actions"]);
  private readonly listeners: ((products: Product[]) => void)[] = [];

  constructor(
    private readonly api: Api,
    private readonly notices: Notices,
    private readonly tenant: string,
  ) {
    const name = h("input", { name: "name", autocomplete: "off", required: true });
    const price = h("input", { name: "price", inputmode: "decimal", autocomplete: "off", required: true });
    const picture = h("input", { name: "pictureUrl", type: "url", autocomplete: "off" });
    const form = h(
      "form",
      { novalidate: true },
      field("Name", name),
      field("Price", price, "A decimal amount with at most two decimals, e.g. 12.50."),
      field("Picture URL", picture, "Optional: an https address of the product's picture."),
      h("button", { type: "submit" }, "Add product"),
    );
    form.addEventListener(
      "submit",
      guarded(notices, async () => {
        const body: Record<string, string> = { name: name.value, price: price.value.trim() };
        if (picture.value.trim() !== "") body.pictureUrl = picture.value.trim();
        const added = await api.post<Product>(this.path(), body);
        notices.success(`Added ${added.name} at ${added.price}.`);
        form.reset();
        name.focus();
        await this.load();
      }),
    );
    this.element = h("section", { "aria-labelledby": this.heading.id }, this.heading, this.table.table, h("h3", {}, "Add a product"), form);
  }

  /** Called with the full list after every load. */
  onChange(listener: (products: Product[]) => void): void {
    this.listeners.push(listener);
  }

  async load(): Promise<void> {
    const products: Product[] = [];
    let cursor: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (cursor !== undefined) query.set("cursor", cursor);
      const page = await this.api.get<ProductPage>(`${this.path()}?${query}`);
      products.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor !== undefined);
    this.table.body.replaceChildren(...products.map((p) => this.row(p)));
    for (const listener of this.listeners) listener(products);
  }

  private row(product: Product): HTMLTableRowElement {
    const remove = actionButton("Delete", product.name);
    remove.addEventListener(
      "click",
      guarded(this.notices, async () => {
        await this.api.delete(`${this.path()}/${segment(product.id)}`);
        this.notices.success(`Deleted ${product.name}.`);
        // Its button goes with the row: focus goes to the section rather than the page's start.
        this.heading.focus();
        await this.load();
      }),
    );
    const picture =
      product.pictureUrl === undefined
        ? "none"
        : h("img", { class: "picture", src: product.pictureUrl, alt: `Picture of ${product.name}`, loading: "lazy", referrerpolicy: "no-referrer" });
    return row(this.table, [product.name], [product.price], [picture], [remove]);
  }

  private path(): string {
    return `/${segment(this.tenant)}/products`;
  }
}
