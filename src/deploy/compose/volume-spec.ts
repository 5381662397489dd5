/**
 * The short volume syntax (`src:target:opts`), ported from compose-go's format.ParseVolume.
 * Kept exact, oddities included: a one-letter source is read as a Windows drive (`a:/x` is an
 * anonymous volume at "a:/x"), unknown options are ignored, `${...}` may hold colons.
 */

export interface ShortVolumeSpec {
  type: "volume" | "bind";
  source: string;
  target: string;
  readOnly: boolean;
  /** Present for binds (and when a bind option was given). */
  bind?: { createHostPath: boolean; propagation?: string; selinux?: string };
  /** Present for named and anonymous volumes ("nocopy" sets it), absent for one- or two-character specs. */
  volume?: { nocopy: boolean };
}

const propagations = new Set(["rprivate", "private", "rshared", "shared", "rslave", "slave"]);
const selinuxLabels = new Set(["z", "Z"]);
const endOfSpec = "\u0000";

export function parseVolumeSpec(spec: string): ShortVolumeSpec {
  const volume: ShortVolumeSpec = { type: "volume", source: "", target: "", readOnly: false };
  const byteLength = Buffer.byteLength(spec);
  if (byteLength === 0) throw new Error("invalid empty volume spec");
  if (byteLength <= 2) {
    volume.target = spec;
    return volume;
  }
  let buffer = "";
  let variableDepth = 0;
  const chars = [...(spec + endOfSpec)];
  for (let i = 0; i < chars.length; i++) {
    const char = chars[i];
    if (char === "$" && chars[i + 1] === "{" && i + 1 < chars.length - 1) {
      variableDepth++;
      buffer += char;
      continue;
    }
    if (char === "}" && variableDepth > 0) {
      variableDepth--;
      buffer += char;
      continue;
    }
    if (isWindowsDrive(buffer, char)) {
      buffer += char;
    } else if ((char === ":" || char === endOfSpec) && variableDepth === 0) {
      try {
        populateField(char, buffer, volume);
      } catch (error) {
        throw new Error(`invalid spec: ${spec}: ${(error as Error).message}`);
      }
      buffer = "";
    } else {
      buffer += char;
    }
  }
  populateType(volume);
  return volume;
}

function isWindowsDrive(buffer: string, char: string): boolean {
  const chars = [...buffer];
  return char === ":" && chars.length === 1 && /\p{L}/u.test(chars[0]);
}

function populateField(char: string, buffer: string, volume: ShortVolumeSpec): void {
  if (buffer === "") throw new Error("empty section between colons");
  if (volume.source === "" && char === endOfSpec) {
    volume.target = buffer;
    return;
  }
  if (volume.source === "") {
    volume.source = buffer;
    return;
  }
  if (volume.target === "") {
    volume.target = buffer;
    return;
  }
  if (char === ":") throw new Error("too many colons");
  for (const option of buffer.split(",")) {
    if (option === "ro") volume.readOnly = true;
    else if (option === "rw") volume.readOnly = false;
    else if (option === "nocopy") volume.volume = { nocopy: true };
    else if (propagations.has(option)) volume.bind = { ...(volume.bind ?? { createHostPath: false }), propagation: option };
    else if (selinuxLabels.has(option)) volume.bind = { ...(volume.bind ?? { createHostPath: false }), selinux: option };
    // compose-go ignores any other option.
  }
}

function populateType(volume: ShortVolumeSpec): void {
  if (isFilePath(volume.source)) {
    volume.type = "bind";
    // Short syntax binds create a missing host path, for docker-compose v1 compatibility.
    volume.bind = { ...(volume.bind ?? {}), createHostPath: true };
  } else {
    volume.type = "volume";
    volume.volume ??= { nocopy: false };
  }
}

function isFilePath(source: string): boolean {
  if (source === "") return false;
  if (".~/".includes(source[0])) return true;
  if (source.startsWith("\\\\")) return true;
  const [first, second] = [...source];
  return second !== undefined && isWindowsDrive(first, second);
}
