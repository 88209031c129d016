// How `bundle verify` can drive an app — an HTTP API or a command — one entry each in its own
// file; the recipe's `verify.api` names one (the names are in src/contract/registry-names.ts,
// which the recipe schema reads). A new API is its file, its line here and its name there.

import type { VerifyApiName } from "../contract/registry-names.ts";
import { a1111Api } from "./a1111.ts";
import type { VerifyApi } from "./api.ts";
import { commandApi } from "./command.ts";
import { comfyuiApi } from "./comfyui.ts";

export const VERIFY_API: { readonly [N in VerifyApiName]: VerifyApi<N> } = {
  a1111: a1111Api,
  comfyui: comfyuiApi,
  command: commandApi,
};

/** The entry for `name`, or undefined when this greenbundle does not know the API. */
export function verifyApi(name: string): VerifyApi | undefined {
  return Object.hasOwn(VERIFY_API, name) ? VERIFY_API[name as VerifyApiName] : undefined;
}
