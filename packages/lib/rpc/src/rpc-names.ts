/** Validation of topic and server names, which become queue names and AMQP routing keys. */

// NOTE: `*` and `#` are wildcards in AMQP topic bindings; a topic holding one would receive other topics' messages.
const NAME = /^[A-Za-z0-9_.:@-]+$/;

/** Throw a TypeError unless `name` is a usable topic or server name (letters, digits, `_.:@-`); returns it. */
export function assertRpcName(name: string, what: string): string {
  if (!NAME.test(name) || name.length > 200) throw new TypeError(`${what} must be 1-200 letters, digits or _.:@- characters, got ${JSON.stringify(name)}`);
  return name;
}
