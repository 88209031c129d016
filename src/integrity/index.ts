// Integrity values and streaming sha256 (see sha256.ts).
export * from "./sha256.ts";
