/** Neutron's error types (neutron-lib exceptions) as OpenStackErrors: the `type` of the NeutronError body is the code. */
import { OpenStackError } from '@strata/errors';

function err(status: number, type: string, message: string): OpenStackError {
  return new OpenStackError(status, type, message);
}

/** 404 for a resource the caller cannot see or that does not exist. */
export function notFound(kind: 'Network' | 'Subnet' | 'Port' | 'Router' | 'Agent' | 'SubnetPool' | 'MeteringLabel' | 'MeteringLabelRule', id: string): OpenStackError {
  const label: Record<string, string> = { Network: 'Network', Subnet: 'Subnet', Port: 'Port', Router: 'Router', Agent: 'Agent', SubnetPool: 'Subnet pool', MeteringLabel: 'Metering label', MeteringLabelRule: 'Metering label rule' };
  return err(404, `${kind}NotFound`, `${label[kind]} ${id} could not be found.`);
}

export const floatingIpNotFound = (id: string) => err(404, 'FloatingIPNotFound', `Floating IP ${id} could not be found`);
export const securityGroupNotFound = (id: string) => err(404, 'SecurityGroupNotFound', `Security group ${id} does not exist`);
export const securityGroupRuleNotFound = (id: string) => err(404, 'SecurityGroupRuleNotFound', `Security group rule ${id} does not exist`);

/** 400 InvalidInput: "Invalid input for operation: ...". */
export function invalidInput(message: string): OpenStackError {
  return err(400, 'InvalidInput', `Invalid input for operation: ${message}`);
}

/** 400 for a malformed attribute value, as neutron's attribute validators answer. */
export function badAttribute(attr: string, reason: string): OpenStackError {
  return err(400, 'HTTPBadRequest', `Invalid input for ${attr}. Reason: ${reason}.`);
}

/** 400 BadRequest naming the resource: "Bad router request: ...". */
export function badRequest(resource: string, message: string): OpenStackError {
  return err(400, 'BadRequest', `Bad ${resource} request: ${message}.`);
}

/** 400 of a specific neutron type. */
export function bad(type: string, message: string): OpenStackError {
  return err(400, type, message);
}

/** 409 of a specific neutron type. */
export function conflict(type: string, message: string): OpenStackError {
  return err(409, type, message);
}

/** 404 of a specific neutron type. */
export function missing(type: string, message: string): OpenStackError {
  return err(404, type, message);
}

/** 403 PolicyNotAuthorized for a rule. */
export function policyNotAuthorized(rule: string): OpenStackError {
  return err(403, 'PolicyNotAuthorized', `(rule:${rule}) is disallowed by policy`);
}

export const networkInUse = (id: string) => conflict('NetworkInUse', `Unable to complete operation on network ${id}. There are one or more ports still in use on the network.`);
export const subnetInUse = (id: string) => conflict('SubnetInUse', `Unable to complete operation on subnet ${id}: One or more ports have an IP allocation from this subnet.`);
export const ipAddressInUse = (net: string, ip: string) => conflict('IpAddressInUse', `Unable to complete operation for network ${net}. The IP address ${ip} is in use.`);
export const ipAddressGenerationFailure = (net: string) => conflict('IpAddressGenerationFailure', `No more IP addresses available on network ${net}.`);
export const macAddressInUse = (net: string, mac: string) => conflict('MacAddressInUse', `Unable to complete operation for network ${net}. The mac address ${mac} is in use.`);
export const overQuota = (resource: string) => conflict('OverQuota', `Quota exceeded for resources: ['${resource}'].`);
