/**
 * Icon names an action may use; the frontend maps each to an icon. Anything else must be
 * a `data:` or `https:` URL.
 */
export const ACTION_ICON_NAMES = [
  'add',
  'build',
  'bug',
  'cloud',
  'code',
  'database',
  'delete',
  'deploy',
  'key',
  'lock',
  'play',
  'restart',
  'rocket',
  'rollback',
  'scale',
  'settings',
  'storage',
  'sync',
] as const;

/** A name from {@link ACTION_ICON_NAMES}. */
export type ActionIconName = (typeof ACTION_ICON_NAMES)[number];

/** True when `icon` is a known icon name or an image URL an action may use. */
export function isValidActionIcon(icon: string): boolean {
  return (
    (ACTION_ICON_NAMES as readonly string[]).includes(icon) ||
    icon.startsWith('data:image/') ||
    icon.startsWith('https://')
  );
}
