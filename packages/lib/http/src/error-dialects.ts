/** Renders an OpenStackError in the error dialect of each OpenStack service. */
import type { OpenStackError } from '@strata/errors';

/** Which service's error body to produce. */
export type ErrorDialect = 'identity' | 'compute' | 'volume' | 'network' | 'image';

// Nova's _fault_names (nova/api/openstack/wsgi.py); cinder uses the same table.
const FAULT_NAMES: Readonly<Record<number, string>> = {
  400: 'badRequest',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'itemNotFound',
  405: 'badMethod',
  406: 'notAcceptable',
  409: 'conflictingRequest',
  413: 'overLimit',
  415: 'badMediaType',
  429: 'overLimit',
  501: 'notImplemented',
  503: 'serviceUnavailable',
};

const TITLES: Readonly<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  410: 'Gone',
  413: 'Request Entity Too Large',
  415: 'Unsupported Media Type',
  416: 'Requested Range Not Satisfiable',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The HTTP reason phrase for a status. */
export function statusTitle(status: number): string {
  return TITLES[status] ?? 'Error';
}

/** The JSON body a service of `dialect` answers for `err`. 5xx messages are generic. */
export function renderError(dialect: ErrorDialect, err: OpenStackError): object {
  const status = err.status;
  const message = status >= 500 && status !== 501 && status !== 503 ? 'An unexpected error prevented the server from fulfilling your request.' : err.message;
  switch (dialect) {
    case 'identity':
      return { error: { code: status, title: statusTitle(status), message } };
    case 'network':
      return { NeutronError: { type: status >= 500 ? 'HTTPInternalServerError' : err.code, message, detail: '' } };
    case 'image':
      // glance's bodies are WebOb's JSON error page: the code is the status line ("404 Not Found").
      return { code: `${status} ${statusTitle(status)}`, title: statusTitle(status), message };
    case 'compute':
    case 'volume': {
      const name = FAULT_NAMES[status] ?? (dialect === 'compute' ? 'computeFault' : 'computeFault');
      return { [name]: { code: status, message } };
    }
  }
}
