/** True when a line has the shape of a Postfix maillog line (any envelope, a postfix program tag). */
const TAG_RE = /\s(?:postfix|[\w.-]*postfix[\w.-]*)(?:\/[\w.-]+)+\[\d+\]:\s|\spostfix[\w.-]*\/[\w.-]+ \d+ /;
export function looksLikePostfix(line: string): boolean {
  return TAG_RE.test(line);
}
