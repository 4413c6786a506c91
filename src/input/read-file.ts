import { constants } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { InputError } from "../errors.js";

/**
 * The most mcp-auth0 reads from a file the user names: far above any real roles file, config file
 * or `.env` (a roles file at Auth0's own limits, 1000 roles of 1000 permissions, is about 25 MB of
 * YAML only when written one permission per line with long names), far below what would exhaust memory.
 */
const MAX_INPUT_BYTES = 32 * 1024 * 1024;

export interface InputFile {
  /** What the file is, for messages: "the roles file", "the config file", "the .env". */
  what: string;
  /** The flag that names it, for the hint: "--roles / --file", "--config", "--env-path". */
  flag: string;
  maxBytes?: number;
}

/**
 * Reads a file the user named, as bytes. Only a regular file, and only up to `maxBytes`: a FIFO
 * given as a roles or config file would block the run forever, and a device such as /dev/zero or
 * /dev/urandom never ends, so it would be read until memory runs out. The file is opened without
 * blocking (opening a FIFO for reading otherwise waits for a writer), then checked by what it is.
 * Every problem is an input error naming the file.
 */
export async function readInputFile(path: string, file: InputFile): Promise<Buffer> {
  const maxBytes = file.maxBytes ?? MAX_INPUT_BYTES;
  let handle: FileHandle | undefined;
  try {
    // O_NONBLOCK does not exist on Windows, which has no FIFOs in the file system either.
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    const stats = await handle.stat();
    if (!stats.isFile()) {
      throw new InputError(
        `Cannot read ${file.what} ${path}: it is ${stats.isDirectory() ? "a directory" : "not a regular file (a pipe or a device)"}.`,
        `Give a file with ${file.flag}.`,
      );
    }
    // Read until the end, or until past the limit: a file that grows while it is read is caught too.
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.alloc(256 * 1024);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length);
      if (bytesRead === 0) return Buffer.concat(chunks, total);
      total += bytesRead;
      if (total > maxBytes) {
        throw new InputError(
          `${file.what[0]!.toUpperCase()}${file.what.slice(1)} ${path} is larger than ${maxBytes / 1024 / 1024} MB: mcp-auth0 does not read it.`,
          `Check ${file.flag}.`,
        );
      }
      chunks.push(chunk.subarray(0, bytesRead));
    }
  } catch (error) {
    if (error instanceof InputError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`Cannot read ${file.what} ${path}${code === "ENOENT" ? ": it does not exist" : ` (${code})`}.`, `Check ${file.flag}.`);
  } finally {
    await handle?.close();
  }
}

/** The same, as UTF-8 text. */
export async function readInputText(path: string, file: InputFile): Promise<string> {
  return (await readInputFile(path, file)).toString("utf8");
}
