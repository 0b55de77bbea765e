import { fireEvent, screen, waitFor } from '@testing-library/react-native';
import { useLocalSearchParams } from 'expo-router';

import { BookmarksScreen } from './BookmarksScreen';
import { PostListScreen } from './PostListScreen';
import { PostScreen } from './PostScreen';
import { fakeServer, page, renderApp, signedIn } from '@/test/utils';

const summary = { id: 1, slug: 'abcde', title: 'The ABCDE rule', excerpt: 'Asymmetry, border…', cover_image_url: null, author_name: 'Dr. Klein', tags: ['moles'], published_at: '2026-11-20T09:00:00Z', bookmarked: false, draft: false };
const post = { ...summary, body_html: '<p>Check <strong>monthly</strong>.</p>', body_markdown: 'Check **monthly**.', updated_at: '2026-11-20T09:00:00Z' };

beforeEach(async () => {
  await signedIn();
  jest.mocked(useLocalSearchParams).mockReturnValue({ slug: 'abcde' });
});

describe('blog', () => {
  it('lists posts and filters by search', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/posts', ({ query }) => page(query.get('search') === 'zzz' ? [] : [summary]));
    renderApp(<PostListScreen />);

    expect(screen.getByTestId('state-loading')).toBeTruthy();
    expect(await screen.findByTestId('post-abcde')).toHaveTextContent(/The ABCDE rule/);
    fireEvent.changeText(screen.getByTestId('blog-search'), 'zzz');
    expect(await screen.findByTestId('state-empty', {}, { timeout: 3000 })).toHaveTextContent(/No articles found/);
    expect(server.calls.at(-1)!.path).toBe('/api/v1/posts');
  });

  it('renders the article and bookmarks it', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/posts/abcde', { status: 200, body: post });
    server.on('PUT', '/api/v1/posts/abcde/bookmark', { status: 204 });
    renderApp(<PostScreen />);

    expect(await screen.findByTestId('post-title')).toHaveTextContent('The ABCDE rule');
    expect(screen.getByText('monthly')).toBeTruthy();
    fireEvent.press(screen.getByTestId('bookmark-toggle'));
    await waitFor(() => expect(screen.getByTestId('bookmark-toggle')).toHaveTextContent(/Bookmarked/));
    expect(server.calls.some((c) => c.method === 'PUT' && c.path === '/api/v1/posts/abcde/bookmark')).toBe(true);
  });

  it('rolls the bookmark back and says why when offline', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/posts/abcde', { status: 200, body: post });
    server.on('PUT', '/api/v1/posts/abcde/bookmark', () => 'offline');
    renderApp(<PostScreen />);

    fireEvent.press(await screen.findByTestId('bookmark-toggle'));

    expect(await screen.findByTestId('bookmark-error')).toHaveTextContent(/offline/i);
    expect(screen.getByTestId('bookmark-toggle')).toHaveTextContent('☆ Bookmark');
  });

  it('shows not found for a missing article', async () => {
    fakeServer();
    renderApp(<PostScreen />);
    expect(await screen.findByTestId('state-error')).toHaveTextContent(/Not found/);
  });

  it('shows my bookmarks, or an empty state', async () => {
    const server = fakeServer();
    server.on('GET', '/api/v1/bookmarks', page([{ ...summary, bookmarked: true }]));
    const view = renderApp(<BookmarksScreen />);
    expect(await screen.findByTestId('bookmark-abcde')).toBeTruthy();
    view.unmount();

    server.on('GET', '/api/v1/bookmarks', page([]));
    renderApp(<BookmarksScreen />);
    expect(await screen.findByTestId('state-empty')).toHaveTextContent(/No bookmarks yet/);
  });
});
