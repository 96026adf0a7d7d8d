// One line of `pipeline doctor`: an onnxruntime execution provider or a tfjs backend, whether
// it loads here, and when it does not, why and the commands that fix it.

export interface Fix {
  command: string;
  /** When this command is the one to run, and what it does. */
  note: string;
}

export interface Check {
  name: string;
  loads: boolean;
  /** Version of the package that provides it, when it loads and says. */
  version?: string;
  /** Why it does not load. */
  why?: string;
  fixes: Fix[];
}

/** An error's first line, cut to a length that fits a terminal line or two. */
export function shorten(message: string, max = 200): string {
  const line = message.split('\n')[0]!.trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
