/**
 * How to install a Redis server on this machine, as one command: Redis has no npm package with a binary
 * (it would have to be downloaded from elsewhere), so the embedded Redis is the distribution's own
 * `redis-server` (or Valkey, the fork some distributions ship instead).
 */
export function redisInstallCommand(platform: NodeJS.Platform, osRelease: string | undefined, isRoot: boolean): string | undefined {
  if (platform === 'darwin') return 'brew install redis';
  if (platform !== 'linux' || osRelease === undefined) return undefined;
  const fields = parseOsRelease(osRelease);
  const ids = [fields.ID ?? '', ...(fields.ID_LIKE ?? '').split(/\s+/)].filter(Boolean);
  const sudo = isRoot ? '' : 'sudo ';
  const is = (...names: string[]) => ids.some((id) => names.includes(id));
  if (is('alpine')) return `${sudo}apk add redis`;
  if (is('debian', 'ubuntu')) return `${sudo}apt install redis-server`;
  // Fedora 41 replaced Redis by Valkey; RHEL and its rebuilds still ship redis.
  if (fields.ID === 'fedora') return Number(fields.VERSION_ID) >= 41 ? `${sudo}dnf install valkey` : `${sudo}dnf install redis`;
  if (is('rhel', 'centos', 'fedora')) return `${sudo}dnf install redis`;
  if (is('arch')) return `${sudo}pacman -S valkey`;
  if (is('suse', 'opensuse')) return `${sudo}zypper install redis`;
  return undefined;
}

/** The one line printed when REDIS_URL=embedded finds no server binary. */
export function redisNotFoundMessage(command: string | undefined, reason: string): string {
  const install = command
    ? `install it with \`${command}\``
    : "install Redis (6.2 or newer) or Valkey from your system's packages so that redis-server or valkey-server is on PATH";
  return `${reason}, and there is no redis-server (or valkey-server) on PATH to run one: ${install}, or set REDIS_URL to a Redis of your own.`;
}

function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match) fields[match[1]!] = match[2]!.replace(/^["']|["']$/g, '');
  }
  return fields;
}
