/** RPC API versions (`X.Y`) and oslo.messaging's compatibility rule between them. */

/** A parsed `major.minor` version. */
export interface RpcVersion {
  readonly major: number;
  readonly minor: number;
}

const VERSION = /^(0|[1-9][0-9]{0,8})\.(0|[1-9][0-9]{0,8})$/;

/** Parse `X.Y`; undefined when `text` is not a version. */
export function parseRpcVersion(text: string): RpcVersion | undefined {
  const m = VERSION.exec(text);
  if (m === null) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]) };
}

/** Throw a TypeError unless `text` is an `X.Y` version; returns it. */
export function assertRpcVersion(text: string, what: string): string {
  if (parseRpcVersion(text) === undefined) throw new TypeError(`${what} must be an RPC version such as "1.0", got ${JSON.stringify(text)}`);
  return text;
}

/**
 * True when an implementation of version `implemented` can serve a message that targets
 * `requested`: same major, and a minor no higher (oslo's `version_is_compatible`). False when
 * either is not a version.
 */
export function versionIsCompatible(implemented: string, requested: string): boolean {
  const imp = parseRpcVersion(implemented);
  const req = parseRpcVersion(requested);
  if (imp === undefined || req === undefined) return false;
  return imp.major === req.major && req.minor <= imp.minor;
}
