// What a torch pin needs of the GPU, from the table or the recipe.
import { describe, expect, it } from "vitest";
import { cudaOfTorch, gpuFactsFor } from "../../src/plan/gpu-facts.ts";

describe("GPU facts of a torch pin", () => {
  it("reads the CUDA version from the local version label, and none from a CPU build", () => {
    expect(cudaOfTorch("2.1.2+cu121")).toBe("12.1");
    expect(cudaOfTorch("2.1.2+cu118")).toBe("11.8");
    expect(cudaOfTorch("2.9.0+cu130")).toBe("13.0");
    expect(cudaOfTorch("2.1.2+cpu")).toBeUndefined();
    expect(cudaOfTorch("2.1.2")).toBeUndefined();
    expect(gpuFactsFor("2.1.2+cpu", "win-x64")).toEqual({ facts: undefined, notes: [] });
    expect(gpuFactsFor(undefined, "linux-x64")).toEqual({ facts: undefined, notes: [] });
  });

  it("takes the minimum driver of the CUDA major and the architectures of the build for the platform's OS", () => {
    expect(gpuFactsFor("2.1.2+cu121", "linux-x64").facts).toEqual({ cuda: "12.1", min_driver: { linux: "525.60.13", win: "528.33" }, archs: ["sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"], torch: "2.1.2+cu121" });
    expect(gpuFactsFor("2.1.2+cu118", "linux-x64").facts?.min_driver).toEqual({ linux: "450.80.02", win: "452.39" });
    expect(gpuFactsFor("2.5.1+cu124", "linux-x64").facts?.archs).toContain("compute_90");
    expect(gpuFactsFor("2.7.1+cu128", "win-x64").facts?.archs).toEqual(["sm_50", "sm_60", "sm_61", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90", "sm_100", "sm_120"]);
  });

  it("says what it cannot know, and lets the recipe say it", () => {
    const unknown = gpuFactsFor("2.6.0+cu126", "linux-x64");
    expect(unknown.facts).toMatchObject({ cuda: "12.6", archs: [] });
    expect(unknown.notes.join("\n")).toContain("set launcher.gpu.requires.archs");
    const told = gpuFactsFor("2.6.0+cu126", "linux-x64", { archs: ["sm_80", "sm_90"] });
    expect(told).toEqual({ facts: { cuda: "12.6", min_driver: { linux: "525.60.13", win: "528.33" }, archs: ["sm_80", "sm_90"], torch: "2.6.0+cu126" }, notes: [] });
    expect(gpuFactsFor("9.9.9+cu999", "linux-x64").notes.join("\n")).toContain("no minimum NVIDIA driver is known for CUDA 99.9");
  });
});
