/**
 * Renders the server's sanitised post HTML (Markdown converted and cleaned by nh3) with native
 * components: headings, paragraphs, lists, quotes, code, links, emphasis. No WebView, no scripts.
 */
import { Fragment, type ReactNode } from 'react';
import { Linking, StyleSheet, Text, View, type TextStyle } from 'react-native';

import { colors, font, space } from '@/ui/theme';

export type HtmlNode = { type: 'text'; text: string } | { type: 'element'; tag: string; attrs: Record<string, string>; children: HtmlNode[] };

const VOID = new Set(['br', 'hr', 'img', 'input', 'meta', 'link', 'source', 'wbr']);
const BLOCK = new Set(['p', 'div', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'ul', 'ol', 'li', 'blockquote', 'pre', 'hr', 'table', 'thead', 'tbody', 'tr', 'section', 'article', 'figure']);
const DROP = new Set(['script', 'style', 'iframe', 'object', 'embed']);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', hellip: '…', mdash: '—', ndash: '–', rsquo: '’', lsquo: '‘', rdquo: '”', ldquo: '“', copy: '©' };

export function decodeEntities(text: string): string {
  return text.replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (whole, name: string) => {
    if (name[0] === '#') {
      const code = name[1] === 'x' || name[1] === 'X' ? parseInt(name.slice(2), 16) : parseInt(name.slice(1), 10);
      return Number.isFinite(code) && code > 0 && code < 0x110000 ? String.fromCodePoint(code) : whole;
    }
    return ENTITIES[name.toLowerCase()] ?? whole;
  });
}

function parseAttrs(source: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of source.matchAll(/([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?/g)) {
    const name = m[1];
    if (name) attrs[name.toLowerCase()] = decodeEntities(m[2] ?? m[3] ?? m[4] ?? '');
  }
  return attrs;
}

/** A forgiving parser for well-formed, sanitised HTML. */
export function parseHtml(html: string): HtmlNode[] {
  const root: HtmlNode = { type: 'element', tag: 'root', attrs: {}, children: [] };
  const stack: Extract<HtmlNode, { type: 'element' }>[] = [root as Extract<HtmlNode, { type: 'element' }>];
  let dropping = 0;
  for (const m of html.replace(/<!--[\s\S]*?-->/g, '').matchAll(/<\/?([a-zA-Z][a-zA-Z0-9]*)([^>]*)>|[^<]+|</g)) {
    const token = m[0];
    const top = stack[stack.length - 1]!;
    if (!m[1]) {
      if (!dropping) top.children.push({ type: 'text', text: decodeEntities(token) });
      continue;
    }
    const tag = m[1].toLowerCase();
    if (token.startsWith('</')) {
      if (DROP.has(tag)) {
        dropping = Math.max(0, dropping - 1);
        continue;
      }
      const index = stack.map((n) => n.tag).lastIndexOf(tag);
      if (index > 0) stack.length = index;
      continue;
    }
    if (DROP.has(tag)) {
      if (!token.endsWith('/>')) dropping += 1;
      continue;
    }
    if (dropping) continue;
    const node = { type: 'element' as const, tag, attrs: parseAttrs(m[2] ?? ''), children: [] as HtmlNode[] };
    top.children.push(node);
    if (!VOID.has(tag) && !token.endsWith('/>')) stack.push(node);
  }
  return (root as Extract<HtmlNode, { type: 'element' }>).children;
}

/** Plain text of a tree (for tests, accessibility and excerpts). */
export function textOf(nodes: HtmlNode[]): string {
  return nodes.map((n) => (n.type === 'text' ? n.text : n.tag === 'br' ? '\n' : textOf(n.children))).join('');
}

const isBlock = (n: HtmlNode) => n.type === 'element' && BLOCK.has(n.tag);

function safeHref(href: string | undefined): string | null {
  if (!href) return null;
  return /^(https?:|mailto:)/i.test(href) ? href : null;
}

function inline(nodes: HtmlNode[], keyPrefix: string, pre = false): ReactNode[] {
  return nodes.map((n, i) => {
    const key = `${keyPrefix}-${i}`;
    if (n.type === 'text') return pre ? n.text : n.text.replace(/\s+/g, ' ');
    const children = inline(n.children, key, pre);
    switch (n.tag) {
      case 'strong':
      case 'b':
        return <Text key={key} style={styles.bold}>{children}</Text>;
      case 'em':
      case 'i':
        return <Text key={key} style={styles.italic}>{children}</Text>;
      case 'code':
        return <Text key={key} style={styles.code}>{children}</Text>;
      case 'br':
        return '\n';
      case 'a': {
        const href = safeHref(n.attrs.href);
        return href ? (
          <Text key={key} style={styles.link} accessibilityRole="link" onPress={() => void Linking.openURL(href)}>
            {children}
          </Text>
        ) : (
          <Fragment key={key}>{children}</Fragment>
        );
      }
      case 'img':
        return n.attrs.alt ? `[${n.attrs.alt}]` : '';
      default:
        return <Fragment key={key}>{children}</Fragment>;
    }
  });
}

const HEADING: Record<string, TextStyle> = {
  h1: { fontSize: 26 },
  h2: { fontSize: 22 },
  h3: { fontSize: 19 },
  h4: { fontSize: 17 },
  h5: { fontSize: 16 },
  h6: { fontSize: 15 },
};

function blocks(nodes: HtmlNode[], keyPrefix: string, listDepth = 0): ReactNode[] {
  const out: ReactNode[] = [];
  let run: HtmlNode[] = [];
  const flush = () => {
    if (run.length && textOf(run).trim()) {
      out.push(
        <Text key={`${keyPrefix}-t${out.length}`} style={styles.paragraph}>
          {inline(run, `${keyPrefix}-r${out.length}`)}
        </Text>,
      );
    }
    run = [];
  };
  nodes.forEach((n, i) => {
    const key = `${keyPrefix}-${i}`;
    if (!isBlock(n) || n.type !== 'element') {
      run.push(n);
      return;
    }
    flush();
    const tag = n.tag;
    if (tag in HEADING) {
      out.push(
        <Text key={key} style={[styles.heading, HEADING[tag]]} accessibilityRole="header">
          {inline(n.children, key)}
        </Text>,
      );
    } else if (tag === 'ul' || tag === 'ol') {
      const items = n.children.filter((c): c is Extract<HtmlNode, { type: 'element' }> => c.type === 'element' && c.tag === 'li');
      out.push(
        <View key={key} style={styles.list} accessibilityRole="list">
          {items.map((li, j) => (
            <View key={`${key}-${j}`} style={styles.listItem}>
              <Text style={styles.bullet}>{tag === 'ol' ? `${j + 1}.` : listDepth % 2 ? '◦' : '•'}</Text>
              <View style={styles.listBody}>{blocks(li.children, `${key}-${j}`, listDepth + 1)}</View>
            </View>
          ))}
        </View>,
      );
    } else if (tag === 'blockquote') {
      out.push(<View key={key} style={styles.quote}>{blocks(n.children, key, listDepth)}</View>);
    } else if (tag === 'pre') {
      out.push(
        <View key={key} style={styles.pre}>
          <Text style={styles.code}>{inline(n.children, key, true)}</Text>
        </View>,
      );
    } else if (tag === 'hr') {
      out.push(<View key={key} style={styles.hr} />);
    } else {
      out.push(<Fragment key={key}>{blocks(n.children, key, listDepth)}</Fragment>);
    }
  });
  flush();
  return out;
}

export function HtmlView({ html, testID }: { html: string; testID?: string }) {
  return <View testID={testID}>{blocks(parseHtml(html), 'h')}</View>;
}

const styles = StyleSheet.create({
  paragraph: { fontSize: font.body, lineHeight: 23, color: colors.text, marginBottom: space.md },
  heading: { fontWeight: '700', color: colors.text, marginTop: space.md, marginBottom: space.sm },
  bold: { fontWeight: '700' },
  italic: { fontStyle: 'italic' },
  code: { fontFamily: 'monospace', backgroundColor: '#EFF2F5', fontSize: font.small },
  link: { color: colors.primary, textDecorationLine: 'underline' },
  list: { marginBottom: space.md },
  listItem: { flexDirection: 'row', gap: space.sm },
  bullet: { fontSize: font.body, lineHeight: 23, color: colors.text, minWidth: 18 },
  listBody: { flex: 1 },
  quote: { borderLeftWidth: 3, borderLeftColor: colors.border, paddingLeft: space.md, marginBottom: space.md },
  pre: { backgroundColor: '#EFF2F5', padding: space.md, borderRadius: 6, marginBottom: space.md },
  hr: { height: 1, backgroundColor: colors.border, marginVertical: space.md },
});
