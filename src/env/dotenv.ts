import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { access, lstat, open, readdir, readlink, realpath, rename, rm, stat } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { InputError } from "../errors.js";
import { readInputFile } from "../input/read-file.js";

export interface MergeResult {
  text: string;
  /** Keys that were present with another value and were updated in place. */
  changed: string[];
  /** Keys that were not present and were appended. */
  added: string[];
}

export interface EnvWriteResult {
  /** The path as given. */
  path: string;
  /** The file did not exist and was (or, with `dryRun`, would be) created. */
  created: boolean;
  changed: string[];
  added: string[];
  /** Nothing to write: the file already holds every value. */
  unchanged: boolean;
  /** The file written when `path` is a symbolic link followed with `followSymlinks`. */
  symlinkTarget?: string;
  /** The mode the file had when it receives a secret and was readable by others: it is made 0600. */
  tightenedFrom?: number;
}

export interface EnvWriteOptions {
  dryRun?: boolean;
  /** Write the target of a symbolic link (refused by default: the link may lead anywhere). */
  followSymlinks?: boolean;
  /** The entries include a secret (proxy mode's client secret): the file is made 0600 whatever its mode. */
  secret?: boolean;
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BOM = "\uFEFF";

/**
 * `KEY=value` or `export KEY=value`, as dotenv, python-dotenv and Node's `--env-file` read them.
 * Group 1 is everything before the key (a BOM on the first line, indentation, `export `).
 */
const ASSIGNMENT = /^(\uFEFF?[ \t]*(?:export[ \t]+)?)([A-Za-z_][\w.-]*)([ \t]*=[ \t]*)(.*)$/s;

/** Values made only of these characters read the same unquoted in every dotenv parser. */
const PLAIN_VALUE = /^[A-Za-z0-9_.:/@%+,=?&~-]*$/;

interface Line {
  content: string;
  /** `\n`, `\r\n`, or `` for a last line without a line break. */
  eol: string;
  /** Where the line starts in the text. */
  start: number;
}

interface Assignment {
  key: string;
  /** Index of the line where the assignment starts and of the line where its value ends. */
  first: number;
  last: number;
  /** Everything before the value: indentation, `export `, the key and `=`. */
  head: string;
  /** Everything after the value on its last line: a closing comment, trailing blanks. */
  tail: string;
  /** The value as the user's dotenv parser would read it. */
  value: string;
  quote: "" | '"' | "'" | "`";
  /** The value as written, quotes included. */
  rawValue: string;
}

/** The value as written in a `.env`: bare when that is unambiguous, else double-quoted and escaped. */
export function formatEnvValue(value: string): string {
  if (PLAIN_VALUE.test(value)) return value;
  const escaped = value.replace(/[\\"\n\r]/g, (char) => ({ "\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r" })[char]!);
  return `"${escaped}"`;
}

/**
 * Merges `entries` into the text of an existing `.env` (`undefined` when there is none). Keys that
 * mcp-auth0 manages are updated in place; the rest of the file is kept byte for byte.
 */
export function mergeEnv(existing: string | undefined, entries: Array<[string, string]>): MergeResult {
  const desired = new Map<string, string>();
  for (const [key, value] of entries) {
    if (!ENV_KEY.test(key)) throw new Error(`Invalid .env variable name: ${JSON.stringify(key)}`);
    desired.set(key, value);
  }

  const text = existing ?? "";
  const lines = splitLines(text);
  const eol = /\r?\n/.exec(text)?.[0] ?? "\n";

  // Every occurrence of a managed key is updated, not only the first: dotenv, python-dotenv and
  // Node's --env-file all let the last occurrence win, so a stale duplicate would override the update.
  const replacements = new Map<number, Assignment>();
  const present = new Set<string>();
  const changed = new Set<string>();
  // A byte order mark glued to a managed key on line 1 hides that key from Node's --env-file and
  // util.parseEnv and from python-dotenv: they read "\uFEFFKEY". The mark is kept, on a line of
  // its own ("\uFEFF=", which every one of them reads as nothing), and the key then starts line 2.
  let bomLine: Assignment | undefined;
  const assignments = scanAssignments(text, lines);
  const midKey = nodeMidKey(lines, assignments);
  for (const assignment of assignments) {
    const value = desired.get(assignment.key);
    if (value === undefined) continue;
    present.add(assignment.key);
    if (assignment.first === 0 && assignment.head.startsWith(BOM)) {
      bomLine = assignment;
      replacements.set(0, assignment);
    }
    if (midKey[assignment.first]) replacements.set(assignment.first, assignment);
    if (!sameValue(assignment, value)) {
      replacements.set(assignment.first, assignment);
      changed.add(assignment.key);
    }
  }

  let out = "";
  for (let i = 0; i < lines.length; i++) {
    const assignment = replacements.get(i);
    if (!assignment) {
      out += lines[i]!.content + lines[i]!.eol;
      continue;
    }
    const same = sameValue(assignment, desired.get(assignment.key)!);
    const value = same ? quoted(assignment) : formatEnvValue(desired.get(assignment.key)!);
    // Keep an inline comment, separated so that it cannot be read as part of the new value.
    const tail = !same && assignment.tail.startsWith("#") && value !== "" ? ` ${assignment.tail}` : assignment.tail;
    const head = assignment === bomLine ? `${BOM}=${eol}${assignment.head.slice(BOM.length)}` : assignment.head;
    out += (midKey[i] ? KEY_END + eol : "") + head + value + tail + lines[assignment.last]!.eol;
    i = assignment.last;
  }

  const added = [...desired.keys()].filter((key) => !present.has(key));
  if (added.length > 0) {
    if (out !== "" && !out.endsWith("\n")) out += eol;
    if (midKey[lines.length]) out += KEY_END + eol;
    for (const key of added) out += `${key}=${formatEnvValue(desired.get(key)!)}${eol}`;
  }

  return { text: out, changed: [...desired.keys()].filter((key) => changed.has(key)), added };
}

/**
 * Writes `entries` into the `.env` at `path`, merging with what is there. The write is atomic
 * (a temporary file beside it, created 0600, then a rename), so a crash never leaves half a file;
 * a new file is created with mode 0600 because it may hold a client secret, an existing one keeps
 * its mode — unless it receives a secret (`secret`) and others may read it: then it is made 0600
 * and the result says so. Nothing is written when nothing changes, or with `dryRun`.
 */
export async function writeEnvFile(path: string, entries: Array<[string, string]>, options: EnvWriteOptions = {}): Promise<EnvWriteResult> {
  const { file: target, symlinkTarget } = await resolveTarget(path, options.followSymlinks);
  let existing: string | undefined;
  let mode = 0o600;
  try {
    const stats = await stat(target);
    if (stats.isDirectory()) throw isDirectoryError(path);
    if (!stats.isFile()) throw notRegularFileError(path);
    mode = stats.mode & 0o7777;
    existing = decodeUtf8(await readInputFile(target, { what: "the .env", flag: "--env-path" }), path);
  } catch (error) {
    if (errorCode(error) !== "ENOENT") throw toInputError(error, path, "file");
  }
  const tightenedFrom = options.secret && existing !== undefined && (mode & 0o077) !== 0 ? mode : undefined;
  if (tightenedFrom !== undefined) mode &= 0o7700;

  const merged = mergeEnv(existing, entries);
  const unchanged = (existing === undefined ? merged.text === "" : merged.text === existing) && tightenedFrom === undefined;
  const result: EnvWriteResult = {
    path,
    created: existing === undefined && !unchanged,
    changed: merged.changed,
    added: merged.added,
    unchanged,
    ...(symlinkTarget ? { symlinkTarget } : {}),
    ...(tightenedFrom !== undefined ? { tightenedFrom } : {}),
  };
  if (options.dryRun) return result;
  await removeStaleTemporaries(target);
  if (unchanged) return result;

  const temporary = join(dirname(target), temporaryName(target));
  let handle: FileHandle | undefined;
  try {
    // Created 0600 so that the secret is never readable by others, not even for a moment.
    handle = await open(temporary, "wx", 0o600);
    await handle.writeFile(merged.text, "utf8");
    // chmod, because the mode given to open() is reduced by the umask.
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    handle = undefined;
    await rename(temporary, target);
  } catch (error) {
    await handle?.close().catch(() => {});
    await rm(temporary, { force: true }).catch(() => {});
    throw toInputError(error, path);
  }
  return result;
}

/**
 * Checks, before anything is sent to the tenant, that `writeEnvFile(path)` will succeed: the
 * directory exists and is writable (the temporary file goes there), and the path, if it exists,
 * is a regular file that can be read and written.
 */
export async function assertEnvPathWritable(path: string, options: { followSymlinks?: boolean } = {}): Promise<void> {
  const { file: target } = await resolveTarget(path, options.followSymlinks);
  try {
    const stats = await stat(target);
    if (stats.isDirectory()) throw isDirectoryError(path);
    if (!stats.isFile()) throw notRegularFileError(path);
    await access(target, constants.R_OK | constants.W_OK);
  } catch (error) {
    // ENOTDIR: a parent is a file; the directory check below says which.
    const code = errorCode(error);
    if (code !== "ENOENT" && code !== "ENOTDIR") throw toInputError(error, path, "file");
  }

  const directory = dirname(target);
  try {
    const stats = await stat(directory);
    if (!stats.isDirectory()) throw notADirectoryError(path, directory);
    await access(directory, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw toInputError(error, path, "directory");
  }
}

function splitLines(text: string): Line[] {
  const lines: Line[] = [];
  let start = 0;
  for (const piece of text.split(/(?<=\n)/)) {
    if (piece === "") continue;
    const eol = piece.endsWith("\r\n") ? "\r\n" : piece.endsWith("\n") ? "\n" : "";
    lines.push({ content: piece.slice(0, piece.length - eol.length), eol, start });
    start += piece.length;
  }
  return lines;
}

/**
 * Finds every assignment. A quoted value may span lines (dotenv allows it); those lines belong to
 * the value, so a line inside it that looks like `KEY=…` is not taken for an assignment.
 * Linear in the size of the file: each search for a closing quote starts where the last one
 * ended, and a quote that is never closed is remembered, so a stray quote near the top of a long
 * file is not searched for again from every later line.
 */
function scanAssignments(text: string, lines: Line[]): Assignment[] {
  const assignments: Assignment[] = [];
  const closer = closingQuoteFinder(text);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const match = ASSIGNMENT.exec(line.content);
    if (!match) continue;
    const key = match[2]!;
    const rest = match[4]!;
    const head = match[1]! + key + match[3]!;
    const quote = rest[0];

    if (quote === '"' || quote === "'" || quote === "`") {
      const open = line.start + head.length;
      const close = closer(quote, open + 1);
      if (close >= 0) {
        let last = i;
        while (close >= lines[last]!.start + lines[last]!.content.length) last++;
        const raw = text.slice(open + 1, close);
        const value = quote === '"' ? unescapeDoubleQuoted(raw) : raw;
        const lastLine = lines[last]!;
        const tail = lastLine.content.slice(close + 1 - lastLine.start);
        assignments.push({ key, first: i, last, head, tail, value, quote, rawValue: text.slice(open, close + 1) });
        i = last;
        continue;
      }
      // An unterminated quote: dotenv then reads the line as an unquoted value.
    }

    // Unquoted: a `#` at the start or after a blank begins a comment.
    const comment = rest.search(/(?:^|[ \t])#/);
    const value = (comment < 0 ? rest : rest.slice(0, comment)).trimEnd();
    assignments.push({ key, first: i, last: i, head, tail: rest.slice(value.length), value, quote: "", rawValue: value });
  }
  return assignments;
}

/**
 * The position in `text` of the quote that closes a value opened just before `from`, or -1. In
 * double quotes a backslash escapes the next character, so a quote after an odd run of
 * backslashes is not a closing one. A search that found nothing is remembered per quote: none
 * starting later can find one either (a later start is just after an opening quote, which no run
 * of backslashes can straddle).
 */
function closingQuoteFinder(text: string): (quote: string, from: number) => number {
  const unclosedFrom = new Map<string, number>();
  return (quote, from) => {
    if (from >= (unclosedFrom.get(quote) ?? Infinity)) return -1;
    for (let at = text.indexOf(quote, from); at >= 0; at = text.indexOf(quote, at + 1)) {
      if (quote !== '"') return at;
      let backslashes = 0;
      while (at - backslashes - 1 >= from && text[at - backslashes - 1] === "\\") backslashes++;
      if (backslashes % 2 === 0) return at;
    }
    unclosedFrom.set(quote, from);
    return -1;
  };
}

/**
 * Node 20's `--env-file` and `util.parseEnv` read a key as everything up to the next `=`, across
 * lines: after a line with no `=` (a stray word, a tab, a lone byte order mark), the next
 * `KEY=value` reads as the key "word\nKEY" and KEY is lost. Blank lines and `#` comments do not end
 * such a key either; only an `=` does. `midKey[i]` says whether that parser is inside such a key
 * when line i starts (`midKey[lines.length]`: at the end of the file), so that a managed key
 * written there is preceded by KEY_END, which ends it.
 */
function nodeMidKey(lines: Line[], assignments: Assignment[]): boolean[] {
  const starts = new Map(assignments.map((a) => [a.first, a]));
  const midKey: boolean[] = [false];
  for (let i = 0; i < lines.length; i++) {
    const assignment = starts.get(i);
    const content = lines[i]!.content;
    // A key (or the junk before it) ends at `=`; at the start of an entry Node skips blank lines (spaces only) and comments.
    const inKey = !assignment && !content.includes("=") && (midKey[i]! || !/^ *(?:#|$)/.test(content));
    for (const last = assignment?.last ?? i; i < last; i++) midKey.push(false);
    midKey.push(inKey);
  }
  return midKey;
}

/** A comment to dotenv and python-dotenv; to Node's parser, the `=` that ends a key left open above it. */
const KEY_END = "#=";

function unescapeDoubleQuoted(raw: string): string {
  return raw.replace(/\r\n/g, "\n").replace(/\\(.)/gs, (_, char: string) => (char === "n" ? "\n" : char === "r" ? "\r" : char === "t" ? "\t" : char));
}

/**
 * Equal after unquoting. A bare value counts as equal only when no parser could read it otherwise:
 * dotenv cuts `a#b` at the `#`, python-dotenv does not.
 */
function sameValue(assignment: Assignment, value: string): boolean {
  if (assignment.value !== value) return false;
  return assignment.quote !== "" || (!/[#"'`\\\r\n]/.test(value) && value.trim() === value);
}

/** An unchanged value as it was written, quotes included (it may span lines). */
function quoted(assignment: Assignment): string {
  if (assignment.quote === "") return assignment.value;
  return assignment.rawValue;
}

/**
 * The file to read and write for `path`. A symbolic link is refused unless `followSymlinks`: it may
 * lead into any file (a shell profile, another project's secrets), and replacing it with a regular
 * file would break what the user built. A dangling link is never replaced, with or without it.
 */
async function resolveTarget(path: string, followSymlinks = false): Promise<{ file: string; symlinkTarget?: string }> {
  let isLink: boolean;
  try {
    isLink = (await lstat(path)).isSymbolicLink();
  } catch {
    return { file: path };
  }
  if (!isLink) return { file: path };
  const points = resolve(dirname(path), await readlink(path));
  let target: string;
  try {
    target = await realpath(path);
  } catch {
    throw new InputError(
      `The .env path ${path} is a symbolic link to ${points}, which does not exist: mcp-auth0 does not replace the link or create its target.`,
      `Create ${points} first and pass --follow-symlinks, remove the link, or choose another file with --env-path.`,
    );
  }
  if (!followSymlinks) {
    throw new InputError(
      `The .env path ${path} is a symbolic link to ${target}: mcp-auth0 does not write through a link unless told to.`,
      `Pass --follow-symlinks to write ${target}, or give that file with --env-path.`,
    );
  }
  return { file: target, symlinkTarget: target };
}

/** `..env.<pid>.<hex>.tmp` (and `..env.<hex>.tmp`, the name before the pid was in it). */
function temporaryName(file: string): string {
  return `.${basename(file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
}

/**
 * Removes what an interrupted write (a kill between creating the temporary file and renaming it)
 * left beside `file`: a full copy of the .env, secret included. A file whose writer is still
 * running (its pid in the name is alive) is another run's, in progress, and stays.
 */
export async function removeStaleTemporaries(file: string): Promise<string[]> {
  const directory = dirname(file);
  const pattern = new RegExp(`^\\.${basename(file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.(?:(\\d+)\\.)?[0-9a-f]{12}\\.tmp$`);
  let names: string[];
  try {
    names = await readdir(directory);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (!match) continue;
    const pid = match[1] ? Number(match[1]) : undefined;
    if (pid !== undefined && pid !== process.pid && isAlive(pid)) continue;
    if (pid === process.pid) continue;
    await rm(join(directory, name), { force: true });
    removed.push(join(directory, name));
  }
  return removed;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, run by someone else.
    return errorCode(error) === "EPERM";
  }
}

function decodeUtf8(bytes: Buffer, path: string): string {
  try {
    // ignoreBOM keeps a byte order mark in the text, so that it is written back unchanged.
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InputError(`${path} is not UTF-8 text, so it cannot be merged without changing it.`, "Save it as UTF-8, or choose another file with --env-path.");
  }
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function isDirectoryError(path: string): InputError {
  return new InputError(`The .env path ${path} is a directory.`, `Pass the path of a file with --env-path, e.g. ${join(path, ".env")}.`);
}

function notRegularFileError(path: string): InputError {
  return new InputError(`The .env path ${path} is not a regular file.`, "Choose another file with --env-path.");
}

function notADirectoryError(path: string, directory: string): InputError {
  return new InputError(`Cannot write ${path}: ${directory} is not a directory.`, "Choose a file in an existing directory with --env-path.");
}

/** Turns a file-system failure into an error that names the path and what to do. */
function toInputError(error: unknown, path: string, subject: "file" | "directory" = "directory"): unknown {
  if (error instanceof InputError) return error;
  const directory = dirname(path);
  switch (errorCode(error)) {
    case "ENOENT":
      return new InputError(`Cannot write ${path}: the directory ${directory} does not exist.`, `Create it (mkdir -p ${directory}) or choose another file with --env-path.`);
    case "ENOTDIR":
      return notADirectoryError(path, directory);
    case "EISDIR":
      return isDirectoryError(path);
    case "EACCES":
    case "EPERM":
      return subject === "file"
        ? new InputError(`Cannot write ${path}: permission denied.`, `Make it readable and writable for you (chmod u+rw ${path}) or choose another file with --env-path.`)
        : new InputError(
            `Cannot write ${path}: the directory ${directory} is not writable (the .env is written to a temporary file there, then renamed).`,
            `Make the directory writable for you or choose another file with --env-path.`,
          );
    case "EROFS":
      return new InputError(`Cannot write ${path}: the file system is read-only.`, "Choose another file with --env-path.");
    default:
      return error;
  }
}
