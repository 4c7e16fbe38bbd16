import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { validateExtraSpecs } from './extra-spec-validators.js';

const rejects = (specs: Record<string, string>, re: RegExp): void => assert.throws(() => validateExtraSpecs(specs), (e: { status: number; message: string }) => e.status === 400 && re.test(e.message));

describe('flavor extra spec validation (2.86)', () => {
  test('known keys with valid values and unknown namespaces pass', () => {
    validateExtraSpecs({ 'hw:cpu_policy': 'dedicated', 'hw:numa_nodes': '2', 'hw:mem_page_size': '2MB', 'hw:numa_cpus.0': '0-3,^2', 'resources:VCPU': '2', 'resources1:CUSTOM_X': '1', 'trait:HW_CPU_X86_AVX': 'required', 'quota:disk_read_bytes_sec': '1000', 'foo:bar': 'baz', key1: 'value1', 'aggregate_instance_extra_specs:ssd': 'true' });
  });
  test('unknown keys in a known namespace and bad values are 400', () => {
    rejects({ 'hw:cpu_policy': 'sometimes' }, /'sometimes' is not valid for extra spec 'hw:cpu_policy'/);
    rejects({ 'hw:numa_nodes': '0' }, /hw:numa_nodes/);
    rejects({ 'hw:no_such_key': '1' }, /extra spec 'hw:no_such_key' does not exist/);
    rejects({ 'trait:FOO': 'maybe' }, /trait:FOO/);
    rejects({ 'resources:VCPU': 'x' }, /resources:VCPU/);
    rejects({ 'hw_rng:allowed': 'perhaps' }, /hw_rng:allowed/);
  });
});
