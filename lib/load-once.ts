/**
 * A value loaded on first use and kept for the life of the process (a key ring, a public key): one
 * load however many callers ask at once. A failed load (KMS throttled, unreachable) is not kept, so
 * the next call tries again instead of failing until the next cold start.
 */
export function loadOnce<T>(load: () => Promise<T>): () => Promise<T> {
  let loaded: Promise<T> | undefined;
  return () => {
    if (!loaded) {
      const loading = load();
      loaded = loading;
      loading.catch(() => {
        if (loaded === loading) loaded = undefined;
      });
    }
    return loaded;
  };
}
