/** Errors every ComputeDriver throws, with nova's names (nova/exception.py) and typed fields. */
import { BadRequest, Conflict, NotFound, OpenStackError, type ErrorOptions } from '@strata/errors';

/** 404: the driver knows no guest with this uuid. */
export class InstanceNotFound extends NotFound {
  readonly instanceId: string;
  constructor(instanceId: string) {
    super(`Instance ${instanceId} could not be found.`, { instanceId }, 'InstanceNotFound');
    this.instanceId = instanceId;
  }
}

/** 409: spawn of a uuid the driver already has. */
export class InstanceExists extends Conflict {
  readonly instanceId: string;
  constructor(instanceId: string) {
    super(`Instance ${instanceId} already exists.`, { instanceId }, 'InstanceExists');
    this.instanceId = instanceId;
  }
}

/** 400: a spawn request or attach argument the driver refuses (bad name, size, path ...); nothing was changed. */
export class InvalidInstanceSpec extends BadRequest {
  /** Where in the request, e.g. `networkInfo[0].tapName`. */
  readonly field: string;
  constructor(field: string, reason: string) {
    super(`Invalid ${field}: ${reason}`, { field, reason }, 'InvalidInstanceSpec');
    this.field = field;
  }
}

/** 400: the image cannot be used (nova's ImageUnacceptable): format mismatch, backing file, too big for the flavor. */
export class ImageUnacceptable extends BadRequest {
  constructor(reason: string) {
    super(`Image is unacceptable: ${reason}`, { reason }, 'ImageUnacceptable');
  }
}

/** 409: the operation is not possible in the guest's power state (nova's InstanceInvalidState). */
export class InstanceInvalidState extends Conflict {
  constructor(instanceId: string, state: string, action: string) {
    super(`Cannot '${action}' instance ${instanceId} while it is in power state ${state}.`, { instanceId, state, action }, 'InstanceInvalidState');
  }
}

/** 409: a volume or port is already attached at that device or port id. */
export class DeviceAlreadyAttached extends Conflict {
  constructor(instanceId: string, device: string) {
    super(`Device ${device} is already attached to instance ${instanceId}.`, { instanceId, device }, 'DeviceAlreadyAttached');
  }
}

/** 404: no volume at this mount device / no port with this id on the guest (nova's DiskNotFound / PortNotFound). */
export class DeviceNotFound extends NotFound {
  constructor(instanceId: string, device: string) {
    super(`Device ${device} is not attached to instance ${instanceId}.`, { instanceId, device }, 'DeviceNotFound');
  }
}

/** 500: the hypervisor failed an operation (a QEMU error, a command that failed); `operation` says which. */
export class HypervisorError extends OpenStackError {
  constructor(operation: string, message: string, fields: Record<string, string | number | boolean | null> = {}, options: ErrorOptions = {}) {
    super(500, 'HypervisorError', `${operation} failed: ${message}`, { operation, ...fields }, options);
  }
}

/** 500: the guest did not release a device in time (nova's DeviceDetachFailed). */
export class DeviceDetachFailed extends OpenStackError {
  constructor(instanceId: string, device: string, reason: string) {
    super(500, 'DeviceDetachFailed', `Device detach failed for ${device}: ${reason}`, { instanceId, device, reason });
  }
}
