import { MoorError, messages } from "../../errors.ts";

// moby daemon/names RestrictedNamePattern: no "/", and never "." or ".." (the first character
// must be alphanumeric), so a name can never leave <root>/volumes.
const restrictedName = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;

export function isValidLocalVolumeName(name: string): boolean {
  return restrictedName.test(name);
}

export function validateLocalVolumeName(name: string): void {
  if (Buffer.byteLength(name) === 1) throw new MoorError("invalid", messages.volumeNameTooShort());
  if (!restrictedName.test(name)) throw new MoorError("invalid", messages.volumeNameInvalid(name));
}

export const anonymousVolumeLabel = "com.docker.volume.anonymous";
