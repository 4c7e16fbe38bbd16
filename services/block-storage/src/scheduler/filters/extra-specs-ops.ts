/** Matching a capability value against an extra spec requirement (cinder/scheduler/filters/extra_specs_ops.py). */

function bool(v: unknown): boolean {
  return ['1', 't', 'true', 'on', 'y', 'yes'].includes(String(v).trim().toLowerCase());
}

function num(v: unknown): number {
  return Number.parseFloat(String(v));
}

const OPS: Readonly<Record<string, (value: unknown, arg: string) => boolean>> = {
  '=': (v, a) => num(v) >= num(a),
  '<in>': (v, a) => String(v).includes(a),
  '<all-in>': (v, a) => (Array.isArray(v) ? v.map(String) : String(v).split(/\s+/)).includes(a),
  '==': (v, a) => num(v) === num(a),
  '!=': (v, a) => num(v) !== num(a),
  '>=': (v, a) => num(v) >= num(a),
  '<=': (v, a) => num(v) <= num(a),
  's==': (v, a) => String(v) === a,
  's!=': (v, a) => String(v) !== a,
  's<': (v, a) => String(v) < a,
  's<=': (v, a) => String(v) <= a,
  's>': (v, a) => String(v) > a,
  's>=': (v, a) => String(v) >= a,
  '<is>': (v, a) => bool(v) === bool(a),
};

/**
 * True when `value` satisfies `requirement`: `<op> arg` with cinder's operators, `<or> a <or> b`,
 * or a plain string compared for equality (booleans compare by their string form).
 */
export function matchesSpec(value: unknown, requirement: string): boolean {
  const words = requirement.trim().split(/\s+/);
  const op = words[0] ?? '';
  if (op === '<or>') {
    const choices = words.filter((w, i) => i % 2 === 1);
    return choices.includes(String(value));
  }
  const method = OPS[op];
  if (method === undefined || words.length < 2) {
    if (typeof value === 'boolean') return bool(requirement) === value && ['true', 'false'].includes(requirement.trim().toLowerCase());
    return String(value) === requirement;
  }
  return method(value, words.slice(1).join(' '));
}
