// KubeArmor's time renderings: Timestamp in Unix seconds and UpdatedTime as
// `2006-01-02T15:04:05.000000Z` (UTC, microseconds).

export function updatedTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function unixSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}
