import { parseEnv } from "node:util";

/**
 * Copies variables from a dotenv file into the environment, leaving set variables alone so the
 * real environment wins. A missing file is normal and returns false, and so does one the
 * process may not read (started with net and env permissions only).
 */
export async function loadEnvFile(path: string): Promise<boolean> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotCapable) {
      return false;
    }
    throw error;
  }
  for (const [name, value] of Object.entries(parseEnv(text))) {
    if (value !== undefined && Deno.env.get(name) === undefined) Deno.env.set(name, value);
  }
  return true;
}
