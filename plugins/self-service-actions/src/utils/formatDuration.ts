/** "1m 5s" between two instants (to now when the second is missing); empty without a start. */
export function formatDuration(from: string | null, to: string | null): string {
  if (!from) return '';
  const ms = Math.max(0, (to ? Date.parse(to) : Date.now()) - Date.parse(from));
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${seconds % 60}s`;
  return `${Math.floor(minutes / 60)}h ${minutes % 60}m`;
}
