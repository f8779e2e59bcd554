import { generateToken, hashToken } from '../query/index.ts';
import { MailtraceError } from '../schemas/index.ts';

/**
 * `mailtrace token new|hash`: API tokens for the config file's `access` section, which holds only
 * their SHA-256. `hash` reads the token from standard input when it is not an argument, so it
 * stays out of shell history and process listings.
 */
export const TOKEN_HELP = `usage: mailtrace token new
       mailtrace token hash [TOKEN]     (without TOKEN: read from standard input)

new   prints a fresh random token and the line to put in the config file's access.tokens
      (give the token to its holder; the config file keeps only its SHA-256)
hash  prints the SHA-256 of a token (16+ characters) for the config file`;

export async function tokenCommand(args: string[], out: (s: string) => void = (s) => process.stdout.write(s)): Promise<number> {
  const [sub, given] = args;
  if (sub === 'new') {
    const token = generateToken();
    out(`token:  ${token}\nconfig: ${JSON.stringify({ name: 'CHANGE-ME', role: 'viewer', sha256: hashToken(token) })}\n`);
    return 0;
  }
  if (sub === 'hash') {
    const token = (given ?? (await readStdin())).trim();
    try {
      out(`${hashToken(token)}\n`);
    } catch (err) {
      throw new MailtraceError('MT_ERR_BAD_CONFIG', (err as Error).message);
    }
    return 0;
  }
  out(`${TOKEN_HELP}\n`);
  return sub === undefined || sub === '-h' || sub === '--help' ? 0 : 2;
}

async function readStdin(): Promise<string> {
  let text = '';
  for await (const chunk of process.stdin) text += String(chunk);
  return text;
}
