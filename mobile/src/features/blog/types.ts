/** Blog types (mirror the server's post schemas; checked against schema.d.ts in api-contract.ts). */
export type PostSummary = {
  id: number;
  slug: string;
  title: string;
  excerpt: string;
  cover_image_url: string | null;
  author_name: string;
  tags: string[];
  published_at: string | null;
  bookmarked: boolean;
};

export type Post = PostSummary & { body_html: string };
