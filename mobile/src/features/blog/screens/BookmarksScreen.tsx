/** The posts I bookmarked. */
import { router } from 'expo-router';
import { View } from 'react-native';

import { useBookmarksQuery } from '../queries';
import { asFailure } from '@/api/result';
import { Button } from '@/ui/Button';
import { ListItem } from '@/ui/ListItem';
import { Screen } from '@/ui/Screen';
import { EmptyState, ErrorState, LoadingState } from '@/ui/States';

export function BookmarksScreen() {
  const bookmarks = useBookmarksQuery();
  const items = bookmarks.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <Screen testID="screen-bookmarks">
      {bookmarks.data === undefined ? (
        bookmarks.isError ? <ErrorState failure={asFailure(bookmarks.error)} onRetry={() => void bookmarks.refetch()} /> : <LoadingState label="Loading bookmarks…" />
      ) : items.length === 0 ? (
        <EmptyState title="No bookmarks yet" body="Bookmark an article to read it later." />
      ) : (
        <View testID="bookmark-list">
          {items.map((p) => (
            <ListItem key={p.id} testID={`bookmark-${p.slug}`} title={p.title} subtitle={p.author_name} detail={p.excerpt} onPress={() => router.push({ pathname: '/blog/[slug]', params: { slug: p.slug } })} />
          ))}
          {bookmarks.hasNextPage ? <Button variant="secondary" title="Load more" testID="bookmarks-more" onPress={() => void bookmarks.fetchNextPage()} /> : null}
        </View>
      )}
    </Screen>
  );
}
