import { fireEvent, render, screen } from '@testing-library/react-native';
import { Linking } from 'react-native';

import { decodeEntities, HtmlView, parseHtml, textOf } from './html';

describe('HTML rendering of posts', () => {
  it('parses nested markup and decodes entities', () => {
    const nodes = parseHtml('<p>Use SPF&nbsp;50 &amp; <strong>reapply</strong> every 2&#160;h</p><ul><li>hat</li><li>shade</li></ul>');
    expect(textOf(nodes)).toBe('Use SPF\u00a050 & reapply every 2\u00a0hhatshade');
    expect(decodeEntities('&lt;b&gt; &#x41; &unknown;')).toBe('<b> A &unknown;');
  });

  it('drops scripts and styles even if they slipped through', () => {
    expect(textOf(parseHtml('<p>ok</p><script>alert(1)</script><style>p{}</style>'))).toBe('ok');
  });

  it('renders headings, lists, emphasis and links a reader can see and follow', () => {
    const open = jest.spyOn(Linking, 'openURL').mockResolvedValue(true);
    render(<HtmlView testID="body" html={'<h2>When to see a doctor</h2><p>See one <strong>soon</strong> if a mole <a href="https://example.org/abcde">changes</a>.</p><ol><li>size</li><li>colour</li></ol><p><a href="javascript:alert(1)">bad</a></p>'} />);

    expect(screen.getByRole('header')).toHaveTextContent('When to see a doctor');
    expect(screen.getByText('1.')).toBeTruthy();
    expect(screen.getByText('colour')).toBeTruthy();
    fireEvent.press(screen.getByText('changes'));
    expect(open).toHaveBeenCalledWith('https://example.org/abcde');
    // A javascript: link is shown as plain text, not as a link.
    expect(screen.getAllByRole('link')).toHaveLength(1);
  });
});
