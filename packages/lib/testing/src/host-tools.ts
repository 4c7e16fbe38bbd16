/** What the host running an end-to-end test has installed. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

/** True when `program` is an executable file in a directory of PATH. */
export function onPath(program: string, path = process.env.PATH ?? ''): boolean {
  return path.split(delimiter).some((dir) => {
    if (dir === '') return false;
    try {
      accessSync(join(dir, program), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
