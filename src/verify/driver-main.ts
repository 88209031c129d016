// Entry point of the verify driver (run inside the namespace as `node driver-main.ts <job.json>`).
import { main } from "./driver.ts";

await main(process.argv[2]!);
