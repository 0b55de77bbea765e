/** Blog: search and browse posts; a link to my bookmarks. */
import { router } from 'expo-router';
import { useState } from 'react';
import { View } from 'react-native';

import { usePostsQuery } from '../queries';
import { asFailure } from '@/api/result';
import { formatDate } from '@/lib/format';
import { useDebounced } from '@/lib/useDebounced';
import { Button } from '@/ui/Button';
import { Chip } from '@/ui/Chip';
import { ListItem } from '@/ui/ListItem';
import { Screen } from '@/ui/Screen';
import { EmptyState, ErrorState, LoadingState } from '@/ui/States';
import { TextField } from '@/ui/TextField';

export function PostListScreen() {
  const [search, setSearch] = useState('');
  const [tag, setTag] = useState<string | null>(null);
  const debounced = useDebounced(search.trim(), 300);
  const posts = usePostsQuery(debounced, tag);
  const items = posts.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Screen testID="screen-blog">
      <Button variant="secondary" title="My bookmarks" testID="open-bookmarks" onPress={() => router.push('/blog/bookmarks')} />
      <TextField label="Search articles" testID="blog-search" value={search} onChangeText={setSearch} placeholder="e.g. sunscreen" autoCapitalize="none" />
      {tag ? <Chip label={`Tag: ${tag} ✕`} selected testID="blog-tag-clear" accessibilityLabel={`Clear tag filter ${tag}`} onPress={() => setTag(null)} /> : null}
      {posts.data === undefined ? (
        posts.isError ? <ErrorState failure={asFailure(posts.error)} onRetry={() => void posts.refetch()} /> : <LoadingState label="Loading articles…" />
      ) : items.length === 0 ? (
        <EmptyState title="No articles found" body={debounced || tag ? 'Try another search.' : 'Nothing has been published yet.'} />
      ) : (
        <View testID="post-list">
          {items.map((p) => (
            <View key={p.id}>
              <ListItem
                testID={`post-${p.slug}`}
                title={p.title}
                subtitle={[p.author_name, p.published_at ? formatDate(p.published_at) : null, p.bookmarked ? '★ Bookmarked' : null].filter(Boolean).join(' · ')}
                detail={p.excerpt}
                onPress={() => router.push({ pathname: '/blog/[slug]', params: { slug: p.slug } })}
              />
              {p.tags.length ? (
                <View style={{ flexDirection: 'row', flexWrap: 'wrap' }}>
                  {p.tags.map((t) => (
                    <Chip key={t} label={`#${t}`} testID={`tag-${p.slug}-${t}`} onPress={() => setTag(t)} accessibilityLabel={`Show articles tagged ${t}`} />
                  ))}
                </View>
              ) : null}
            </View>
          ))}
          {posts.hasNextPage ? <Button variant="secondary" title="Load more" testID="posts-more" busy={posts.isFetchingNextPage} onPress={() => void posts.fetchNextPage()} /> : null}
        </View>
      )}
    </Screen>
  );
}
