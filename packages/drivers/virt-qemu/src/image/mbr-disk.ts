/** Writes a classic MBR (boot code + one active partition) so a FAT partition image becomes a BIOS-bootable disk. */
import { open } from 'node:fs/promises';
import { createReadStream } from 'node:fs';

const SECTOR = 512;
const HEADS = 255;
const SECTORS_PER_TRACK = 63;

/** CHS bytes of an LBA in the 255/63 geometry (capped at 1023/254/63, as tools do beyond it). */
export function chs(lba: number): [number, number, number] {
  let c = Math.floor(lba / (HEADS * SECTORS_PER_TRACK));
  let h = Math.floor(lba / SECTORS_PER_TRACK) % HEADS;
  let s = (lba % SECTORS_PER_TRACK) + 1;
  if (c > 1023) {
    c = 1023;
    h = 254;
    s = 63;
  }
  return [h, ((c >> 2) & 0xc0) | s, c & 0xff];
}

/** Options of mbrSector. */
export interface MbrOptions {
  /** Boot code, at most 440 bytes (syslinux's mbr.bin). */
  readonly bootCode: Buffer;
  /** First sector of the partition. */
  readonly startLba: number;
  /** Sectors in the partition. */
  readonly sectors: number;
  /** Partition type byte. @default 0x0e (FAT16, LBA) */
  readonly type?: number;
  /** Disk signature. @default 0x53545241 ("STRA") */
  readonly signature?: number;
}

/** The first sector of the disk: boot code, disk signature, one active partition, 0x55AA. */
export function mbrSector(options: MbrOptions): Buffer {
  if (options.bootCode.length > 440) throw new Error(`MBR boot code is ${options.bootCode.length} bytes, more than 440`);
  const mbr = Buffer.alloc(SECTOR);
  options.bootCode.copy(mbr, 0);
  mbr.writeUInt32LE(options.signature ?? 0x53545241, 440);
  const entry = 446;
  mbr[entry] = 0x80;
  const [h0, s0, c0] = chs(options.startLba);
  const [h1, s1, c1] = chs(options.startLba + options.sectors - 1);
  mbr[entry + 1] = h0;
  mbr[entry + 2] = s0;
  mbr[entry + 3] = c0;
  mbr[entry + 4] = options.type ?? 0x0e;
  mbr[entry + 5] = h1;
  mbr[entry + 6] = s1;
  mbr[entry + 7] = c1;
  mbr.writeUInt32LE(options.startLba, entry + 8);
  mbr.writeUInt32LE(options.sectors, entry + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  return mbr;
}

/**
 * Write a raw disk at `diskPath`: the MBR, then `partitionPath`'s bytes at `startLba`.
 * The partition image must be a whole number of sectors.
 */
export async function writeMbrDisk(diskPath: string, partitionPath: string, bootCode: Buffer, startLba: number): Promise<void> {
  const part = await open(partitionPath, 'r');
  const size = (await part.stat()).size;
  await part.close();
  if (size % SECTOR !== 0) throw new Error(`partition image size ${size} is not a multiple of ${SECTOR}`);
  const disk = await open(diskPath, 'w');
  try {
    await disk.write(mbrSector({ bootCode, startLba, sectors: size / SECTOR }), 0, SECTOR, 0);
    let offset = startLba * SECTOR;
    for await (const chunk of createReadStream(partitionPath, { highWaterMark: 1024 * 1024 })) {
      const buf = chunk as Buffer;
      await disk.write(buf, 0, buf.length, offset);
      offset += buf.length;
    }
    await disk.truncate(startLba * SECTOR + size);
  } finally {
    await disk.close();
  }
}
