// The BundleError a promise rejects with; any other outcome fails the test.
import { BundleError } from "../../src/core/errors.ts";

export async function bundleFailure(p: Promise<unknown>, what = "the call"): Promise<BundleError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof BundleError) return e;
    throw e;
  }
  throw new Error(`expected ${what} to fail`);
}
