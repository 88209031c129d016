// Live progress on a terminal. (Plain lines until the listr2 view lands with the fetch engine.)
import { plainRenderer, type Renderer } from "./render.ts";

export function ttyRenderer(write: (s: string) => void): Renderer {
  return plainRenderer(write);
}
