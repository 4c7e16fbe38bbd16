/** The JSON-Schema documents glance serves under /v2/schemas (used by python-glanceclient, Horizon and SDK's get_images_schema). */
import { CONTAINER_FORMATS, DISK_FORMATS, IMAGE_STATUSES, MEMBER_STATUSES, VISIBILITIES } from '../image-schema.js';

const UUID_PATTERN = '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$';
const readOnlyString = (description: string): object => ({ type: 'string', readOnly: true, description });

const imageProperties = {
  id: { type: 'string', pattern: UUID_PATTERN, description: 'An identifier for the image' },
  name: { type: ['null', 'string'], maxLength: 255, description: 'Descriptive name for the image' },
  status: { type: 'string', readOnly: true, enum: IMAGE_STATUSES, description: 'Status of the image' },
  visibility: { type: 'string', enum: VISIBILITIES, description: 'Scope of image accessibility' },
  protected: { type: 'boolean', description: 'If true, image will not be deletable.' },
  os_hidden: { type: 'boolean', description: 'If true, image will not appear in default image list response.' },
  checksum: { type: ['null', 'string'], readOnly: true, maxLength: 32, description: 'md5 hash of image contents.' },
  os_hash_algo: { type: ['null', 'string'], readOnly: true, maxLength: 64, description: 'Algorithm to calculate the os_hash_value' },
  os_hash_value: { type: ['null', 'string'], readOnly: true, maxLength: 128, description: 'Hexdigest of the image contents using the algorithm specified by the os_hash_algo' },
  owner: { type: ['null', 'string'], maxLength: 255, description: 'Owner of the image' },
  size: { type: ['null', 'integer'], readOnly: true, description: 'Size of image file in bytes' },
  virtual_size: { type: ['null', 'integer'], readOnly: true, description: 'Virtual size of image in bytes' },
  container_format: { type: ['null', 'string'], enum: [null, ...CONTAINER_FORMATS], description: 'Format of the container' },
  disk_format: { type: ['null', 'string'], enum: [null, ...DISK_FORMATS], description: 'Format of the disk' },
  created_at: readOnlyString('Date and time of image registration'),
  updated_at: readOnlyString('Date and time of the last image modification'),
  tags: { type: 'array', items: { type: 'string', maxLength: 255 }, description: 'List of strings related to the image' },
  direct_url: readOnlyString('URL to access the image file kept in external store'),
  min_ram: { type: 'integer', description: 'Amount of ram (in MB) required to boot image.' },
  min_disk: { type: 'integer', description: 'Amount of disk space (in GB) required to boot image.' },
  self: readOnlyString('An image self url'),
  file: readOnlyString('An image file url'),
  stores: readOnlyString('Store in which image data resides.  Only present when the operator has enabled multiple stores.'),
  schema: readOnlyString('An image schema url'),
  kernel_id: { type: ['null', 'string'], pattern: UUID_PATTERN, description: 'ID of image stored in Glance that should be used as the kernel when booting an AMI-style image.', is_base: false },
  ramdisk_id: { type: ['null', 'string'], pattern: UUID_PATTERN, description: 'ID of image stored in Glance that should be used as the ramdisk when booting an AMI-style image.', is_base: false },
  instance_uuid: { type: 'string', description: 'Metadata which can be used to record which instance this image is associated with. (Informational only, does not create an instance snapshot.)', is_base: false },
  architecture: { type: 'string', description: 'Operating system architecture as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html', is_base: false },
  os_distro: { type: 'string', description: 'Common name of operating system distribution as specified in https://docs.openstack.org/python-glanceclient/latest/cli/property-keys.html', is_base: false },
  os_version: { type: 'string', description: 'Operating system version as specified by the distributor.', is_base: false },
  description: { type: 'string', description: 'A human-readable string describing this image.', is_base: false },
  locations: {
    type: 'array',
    items: { type: 'object', properties: { url: { type: 'string', maxLength: 255 }, metadata: { type: 'object' }, validation_data: { type: 'object' } }, required: ['url', 'metadata'] },
    description: 'A set of URLs to access the image file kept in external store',
  },
};

/** /v2/schemas/image. */
export const imageSchemaDoc = {
  name: 'image',
  properties: imageProperties,
  additionalProperties: { type: 'string' },
  links: [
    { href: '{self}', rel: 'self' },
    { href: '{file}', rel: 'enclosure' },
    { href: '{schema}', rel: 'describedby' },
  ],
};

/** /v2/schemas/images. */
export const imagesSchemaDoc = {
  name: 'images',
  properties: {
    images: { type: 'array', items: imageSchemaDoc },
    schema: { type: 'string' },
    first: { type: 'string' },
    next: { type: 'string' },
  },
  links: [
    { href: '{first}', rel: 'first' },
    { href: '{next}', rel: 'next' },
    { href: '{schema}', rel: 'describedby' },
  ],
};

/** /v2/schemas/member. */
export const memberSchemaDoc = {
  name: 'member',
  properties: {
    created_at: { type: 'string', description: 'Date and time of image member creation' },
    image_id: { type: 'string', pattern: UUID_PATTERN, description: 'An identifier for the image' },
    member_id: { type: 'string', description: 'An identifier for the image member (tenantId)' },
    schema: { type: 'string', readOnly: true },
    status: { type: 'string', enum: MEMBER_STATUSES, description: 'The status of this image member' },
    updated_at: { type: 'string', description: 'Date and time of last modification of image member' },
  },
};

/** /v2/schemas/members. */
export const membersSchemaDoc = {
  name: 'members',
  properties: { members: { type: 'array', items: memberSchemaDoc }, schema: { type: 'string' } },
  links: [{ href: '{schema}', rel: 'describedby' }],
};

const metaTime = { type: 'string', readOnly: true, format: 'date-time' };
const propertyBody = {
  type: 'object',
  required: ['title', 'type'],
  properties: {
    name: { type: 'string', maxLength: 80 },
    title: { type: 'string' },
    description: { type: 'string' },
    operators: { type: 'array', items: { type: 'string' } },
    type: { type: 'string', enum: ['array', 'boolean', 'integer', 'number', 'object', 'string', null] },
    required: { type: 'array', items: { type: 'string' }, uniqueItems: true, minItems: 1 },
    minimum: { type: 'number' },
    maximum: { type: 'number' },
    maxLength: { type: 'integer', minimum: 0 },
    minLength: { type: 'integer', minimum: 0 },
    pattern: { type: 'string', format: 'regex' },
    enum: { type: 'array' },
    readonly: { type: 'boolean' },
    default: {},
    items: { type: 'object', properties: { type: { type: 'string', enum: ['array', 'boolean', 'integer', 'number', 'object', 'string', null] }, enum: { type: 'array' } } },
    maxItems: { type: 'integer', minimum: 0 },
    minItems: { type: 'integer', minimum: 0, default: 0 },
    uniqueItems: { type: 'boolean', default: false },
    additionalItems: { type: 'boolean' },
  },
};

const namespaceProperties = {
  namespace: { type: 'string', maxLength: 80, description: 'The unique namespace text.' },
  display_name: { type: 'string', maxLength: 80, description: 'The user friendly name for the namespace. Used by UI if available.' },
  description: { type: 'string', maxLength: 500, description: 'Provides a user friendly description of the namespace.' },
  visibility: { type: 'string', enum: ['public', 'private'], description: 'Scope of namespace accessibility.' },
  protected: { type: 'boolean', description: 'If true, namespace will not be deletable.' },
  owner: { type: 'string', maxLength: 255, description: 'Owner of the namespace.' },
  created_at: metaTime,
  updated_at: metaTime,
  schema: { type: 'string', readOnly: true },
  self: { type: 'string', readOnly: true },
  resource_type_associations: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, prefix: { type: 'string' }, properties_target: { type: 'string' } } } },
  properties: { type: 'object', additionalProperties: propertyBody },
  objects: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, description: { type: 'string' }, required: { type: 'array' }, properties: { type: 'object' } } } },
  tags: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
};

const collection = (name: string, key: string, item: object): object => ({
  name,
  properties: { [key]: { type: 'array', items: item }, first: { type: 'string' }, next: { type: 'string' }, schema: { type: 'string' } },
  links: [
    { rel: 'first', href: '{first}' },
    { rel: 'next', href: '{next}' },
    { rel: 'describedby', href: '{schema}' },
  ],
});

const namespaceDoc = { name: 'namespace', required: ['namespace'], additionalProperties: false, properties: namespaceProperties, links: [{ rel: 'self', href: '{self}' }, { rel: 'describedby', href: '{schema}' }] };
const resourceTypeDoc = {
  name: 'resource_type_association',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', maxLength: 80, description: 'Resource type names should be aligned with Heat resource types whenever possible.' },
    prefix: { type: 'string', maxLength: 80, description: 'Specifies the prefix to use for the given resource type.' },
    properties_target: { type: 'string', maxLength: 80, description: 'Some resource types allow more than one key / value pair per instance.' },
    created_at: metaTime,
    updated_at: metaTime,
  },
  links: [{ rel: 'self', href: '{self}' }, { rel: 'describedby', href: '{schema}' }],
};
const objectDoc = {
  name: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', maxLength: 80 }, description: { type: 'string' }, required: { type: 'array', items: { type: 'string' } }, properties: { type: 'object', additionalProperties: propertyBody }, schema: { type: 'string', readOnly: true }, self: { type: 'string', readOnly: true }, created_at: metaTime, updated_at: metaTime },
  links: [{ rel: 'self', href: '{self}' }, { rel: 'describedby', href: '{schema}' }],
};
const propertyDoc = { name: 'property', ...propertyBody, additionalProperties: false };
const tagDoc = {
  name: 'tag',
  required: ['name'],
  additionalProperties: false,
  properties: { name: { type: 'string', maxLength: 255 }, created_at: metaTime, updated_at: metaTime },
  links: [{ rel: 'self', href: '{self}' }, { rel: 'describedby', href: '{schema}' }],
};

/** /v2/schemas/metadefs/<name>. */
export const metadefSchemaDocs: Readonly<Record<string, object>> = {
  namespace: namespaceDoc,
  namespaces: collection('namespaces', 'namespaces', namespaceDoc),
  resource_type: resourceTypeDoc,
  resource_types: collection('resource_type_associations', 'resource_type_associations', resourceTypeDoc),
  object: objectDoc,
  objects: collection('objects', 'objects', objectDoc),
  property: propertyDoc,
  properties: { name: 'properties', properties: { properties: { type: 'object', additionalProperties: propertyBody } }, links: [{ rel: 'first', href: '{first}' }, { rel: 'next', href: '{next}' }, { rel: 'describedby', href: '{schema}' }] },
  tag: tagDoc,
  tags: collection('tags', 'tags', tagDoc),
};
