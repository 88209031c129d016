// The index client: project pages and flat find-links pages through the recipe's mirror lists
// (the fetch engine's getDocument does the mirror fallback), memoised for a whole `bundle lock`
// run, and a wheel's METADATA by the cheapest way the server allows: the PEP 658 file, else a
// ranged read of the wheel's central directory, else the whole wheel into the cache.

import { createHash } from "node:crypto";
import { BundleError } from "../core/errors.ts";
import type { Emit } from "../core/events.ts";
import type { FetchOptions } from "../fetch/types.ts";
import { flatPageUrl, joinUrl } from "../recipe/mirrors.ts";
import { openZip, readZipEntry } from "../pack/zip-read.ts";
import { fetchOne, getDocument, readRange, type SmallRequestOptions } from "./net.ts";
import { remoteWheelMetadata } from "./remote-zip.ts";
import { parseHtmlPage, parseProjectPage, SIMPLE_ACCEPT, type IndexFile, type PageFormat } from "./simple-index.ts";

export interface ProjectFiles {
  /** The mirror list (recipe name) the page came from. */
  list: string;
  /** The URL that answered: links are relative to it. */
  pageUrl: string;
  format: PageFormat | "flat";
  files: IndexFile[];
}

export interface ClientOptions {
  cacheDir: string;
  emit?: Emit;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  /** Mirror rounds for pages (default 2: a lock is interactive). */
  rounds?: number;
  offline?: boolean;
}

export type MetadataVia = "pep658" | "range" | "download";

export class IndexClient {
  readonly mirrors: Record<string, string[]>;
  readonly opts: ClientOptions;
  private readonly pages = new Map<string, Promise<ProjectFiles | undefined>>();
  private readonly metas = new Map<string, Promise<{ text: string; size: number; via: MetadataVia }>>();

  constructor(mirrors: Record<string, string[]>, opts: ClientOptions) {
    this.mirrors = mirrors;
    this.opts = opts;
  }

  private small(id: string): SmallRequestOptions {
    const o = this.opts;
    return { id, rounds: o.rounds ?? 2, ...(o.emit ? { emit: o.emit } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.env ? { env: o.env } : {}) };
  }

  /** The project page of `key` on mirror list `list`, or undefined when no mirror has the project. */
  project(list: string, key: string): Promise<ProjectFiles | undefined> {
    const memo = `p:${list}:${key}`;
    let p = this.pages.get(memo);
    if (!p) {
      p = this.load(list, (this.mirrors[list] ?? []).map((b) => joinUrl(b, `${key}/`)), `${list}/${key}`, false);
      this.pages.set(memo, p);
    }
    return p;
  }

  /** A flat find-links page (every project's files on one page, usually without hashes). */
  flat(list: string): Promise<ProjectFiles | undefined> {
    const memo = `f:${list}`;
    let p = this.pages.get(memo);
    if (!p) {
      p = this.load(list, (this.mirrors[list] ?? []).map(flatPageUrl), `${list} (find-links)`, true);
      this.pages.set(memo, p);
    }
    return p;
  }

  private async load(list: string, urls: string[], id: string, flat: boolean): Promise<ProjectFiles | undefined> {
    if (urls.length === 0) throw new BundleError("RECIPE", `mirror list "${list}" is not defined`, { hint: "add it under mirrors: in the recipe" });
    let doc;
    try {
      doc = await getDocument(urls, { ...this.small(id), ...(flat ? {} : { accept: SIMPLE_ACCEPT }) });
    } catch (e) {
      if (e instanceof BundleError && e.details?.notFound) return undefined;
      throw e;
    }
    const body = doc.body.toString("utf8");
    try {
      if (flat) return { list, pageUrl: doc.url, format: "flat", files: parseHtmlPage(body, doc.url) };
      const page = parseProjectPage(body, doc.contentType, doc.url);
      return { list, pageUrl: doc.url, format: page.format, files: page.files };
    } catch (e) {
      throw new BundleError("NETWORK", `${doc.url} is not a simple-API page (${(e as Error).message})`, { hint: `check mirror list "${list}": it must point at a /simple root`, cause: e });
    }
  }

  /** METADATA of a wheel and its size, by the cheapest route the server allows (once per file and run: pure wheels serve every platform). */
  metadata(file: IndexFile, sha256: string, urls: string[], id: string): Promise<{ text: string; size: number; via: MetadataVia }> {
    const memo = `m:${sha256}`;
    let p = this.metas.get(memo);
    if (!p) {
      p = this.readMetadata(file, sha256, urls, id);
      this.metas.set(memo, p);
    }
    return p;
  }

  private async readMetadata(file: IndexFile, sha256: string, urls: string[], id: string): Promise<{ text: string; size: number; via: MetadataVia }> {
    if (file.metadata) {
      try {
        const doc = await getDocument([`${file.url}.metadata`], this.small(`${id} metadata`));
        const got = createHash("sha256").update(doc.body).digest("hex");
        if (!file.metadata.sha256 || file.metadata.sha256 === got) {
          const size = file.size ?? (await this.sizeOf(file.url, id));
          if (size !== undefined) return { text: doc.body.toString("utf8"), size, via: "pep658" };
        }
      } catch (e) {
        if (!(e instanceof BundleError) || e.code === "INTERRUPTED") throw e;
      }
    }
    if (!this.opts.offline) {
      try {
        const got = await remoteWheelMetadata((start, length) => readRange(file.url, start, length, this.small(id)));
        if (got) return { ...got, via: "range" };
      } catch (e) {
        if (e instanceof BundleError && e.code === "INTERRUPTED") throw e;
      }
    }
    return { ...(await this.downloaded(sha256, urls, id)), via: "download" };
  }

  private async sizeOf(url: string, id: string): Promise<number | undefined> {
    try {
      return (await readRange(url, 0, 1, this.small(id))).total;
    } catch {
      return undefined;
    }
  }

  /** Last resort: the whole wheel into the cache (verified), METADATA read from it. */
  async downloaded(sha256: string, urls: string[], id: string): Promise<{ text: string; size: number }> {
    const o = this.opts;
    const opts: FetchOptions = { cacheDir: o.cacheDir, ...(o.emit ? { emit: o.emit } : {}), ...(o.signal ? { signal: o.signal } : {}), ...(o.env ? { env: o.env } : {}), ...(o.offline ? { offline: true } : {}) };
    const f = await fetchOne({ id, urls, sha256 }, opts);
    return { text: await localWheelMetadata(f.path, `${id} (${f.url})`), size: f.size };
  }
}

/** METADATA of a wheel file on disk. */
export async function localWheelMetadata(path: string, shownAs: string): Promise<string> {
  const { zip, items } = await openZip(path);
  try {
    const md = items.filter((i) => /^[^/]+\.dist-info\/METADATA$/.test(i.name));
    if (md.length !== 1) {
      throw new BundleError("ARCHIVE", `${shownAs}: the wheel has ${md.length} .dist-info/METADATA files (one expected)`, {
        hint: "the wheel is broken or not a wheel: pin another version, or take the package from another index",
      });
    }
    return (await readZipEntry(path, zip, md[0]!)).toString("utf8");
  } finally {
    zip.close();
  }
}
