// Where the native binaries are: $BULWARK_NATIVE_DIR, else native/build/ of the package (the same
// relative location from src/sensor/ under tsx and from dist/sensor/ after the build).
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulwarkError } from '../common/errors.js';

export function nativeDir(): string {
  const env = process.env.BULWARK_NATIVE_DIR;
  if (env) return path.resolve(env);
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../native/build');
}

/** Absolute path of a native binary; throws SENSOR_NATIVE_MISSING naming every place tried. */
export function nativeBinary(name: 'bulwark-helper' | 'bulwark-sandbox'): string {
  const p = path.join(nativeDir(), name);
  if (!existsSync(p))
    throw new BulwarkError('SENSOR_NATIVE_MISSING', `${name} not found at ${p}`, { path: p });
  return p;
}
