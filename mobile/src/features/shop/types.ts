/** Shop types (mirror the server's ProductOut / OrderOut; checked against schema.d.ts in api-contract.ts). */
export type Category = { id: number; slug: string; name: string };

export type Product = {
  id: number;
  sku?: string;
  name: string;
  description: string;
  price_minor: number;
  currency: string;
  stock: number;
  category: string | null;
  image_url: string | null;
  active: boolean;
};

export type OrderLine = {
  product_id: number | null;
  name: string;
  quantity: number;
  unit_price_minor: number;
  line_total_minor: number;
};

export type Order = {
  id: number;
  number: string;
  status: string;
  currency: string;
  subtotal_minor: number;
  tax_minor: number;
  total_minor: number;
  lines: OrderLine[];
  created_at: string;
};
