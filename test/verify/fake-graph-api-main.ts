// The fake graph API as the app a launcher starts: `node fake-graph-api-main.ts --port N`; it
// stops on SIGINT like a server does. FAKE_PENDING_POLLS sets how long the job stays queued.
import { encodePng, pattern } from "./png-fixtures.ts";
import { startFakeGraphApi } from "./fake-graph-api.ts";

const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
const png = encodePng({ width: 8, height: 8, colorType: 2, bitDepth: 8, samples: pattern(8, 8) });
const api = await startFakeGraphApi({ pendingPolls: Number(process.env.FAKE_PENDING_POLLS ?? 2), png }, port);
process.once("SIGINT", () => void api.close().then(() => process.exit(0)));
