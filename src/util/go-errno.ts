/**
 * Go's texts for the errno values file operations meet (syscall.Errno.Error, from glibc's
 * strerror), which docker's messages carry: "open /x: no such file or directory". Node's own
 * texts are libuv's and differ for some ("file already exists", "i/o error").
 */
const goErrnoTexts: Record<string, string> = {
  ENOENT: "no such file or directory",
  ENOTDIR: "not a directory",
  EISDIR: "is a directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EEXIST: "file exists",
  ELOOP: "too many levels of symbolic links",
  ENAMETOOLONG: "file name too long",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EBUSY: "device or resource busy",
  EIO: "input/output error",
};

/** Go's text for an errno code such as "ENOENT", or undefined for one not listed here. */
export function goErrnoText(code: string | undefined): string | undefined {
  return code === undefined ? undefined : goErrnoTexts[code];
}
