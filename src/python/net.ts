// The python stage's only door to the network and the cache: the fetch engine. One
// import point, so that this stage never grows a second downloader.
export { fetchAll, fetchOne, fetchUnpinned, getDocument, readRange, type Document, type SmallRequestOptions } from "../fetch/index.ts";
export { Cache, cacheDirFrom } from "../cache/index.ts";
